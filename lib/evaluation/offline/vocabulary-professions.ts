// The vocabulary's product-design and B2B-sales families (see vocabulary.ts for how families work). Words
// other professions use in other senses stay out or take a second word: "prototype" is a designer's and an
// engineer's, so it is here, but "pipeline", "discovery", "demo", "qualified" and "closed" alone are not
// (a data pipeline, a nurse's qualification, a closed ticket).
import { type Family, words } from './family.ts';

export const DESIGN: Family[] = [
  {
    // the role itself: what a product designer's title names
    id: 'product_design',
    label: 'product (UX/UI) design',
    terms: words(
      'product design | product designer | ux design | ux designer | ui design | ui designer |' +
        'ux/ui | ui/ux | ux/ui design | ui/ux design | ux/ui designer | ui/ux designer | user experience |' +
        'user experience design | user interface design | experience design | service design |' +
        'digital product design',
    ),
    exact: ['UX'],
  },
  {
    id: 'interaction',
    label: 'interaction design',
    terms: words(
      'interaction design | interaction designer | ixd | user flows | user flow | task flows |' +
        'micro-interactions | microinteractions | interaction patterns',
    ),
  },
  {
    id: 'information_architecture',
    label: 'information architecture',
    terms: words(
      'information architecture | sitemap | sitemaps | card sorting | card sort | tree testing |' +
        'navigation structure | content hierarchy',
    ),
  },
  {
    id: 'design_tools',
    label: 'design tools (Figma, Sketch)',
    terms: words('figma | figjam | adobe xd | invision | framer | axure | protopie | zeplin | balsamiq'),
    // "sketch" is also a verb and a drawing
    exact: ['Sketch'],
  },
  {
    id: 'prototyping',
    label: 'prototyping and wireframing',
    terms: words(
      'prototyping | prototype | prototypes | prototyped | wireframes | wireframe | wireframing |' +
        'wireframed | mockups | mock-ups | mockup | mock-up | high-fidelity | low-fidelity | hi-fi |' +
        'lo-fi | clickable prototype | interactive prototype | paper prototype | storyboards',
    ),
  },
  {
    id: 'user_research',
    label: 'user research',
    terms: words(
      'user research | ux research | design research | user interviews | customer interviews |' +
        'contextual inquiry | diary studies | diary study | personas | persona | journey maps |' +
        'journey map | journey mapping | customer journey | jobs to be done | research synthesis |' +
        'affinity mapping | affinity diagram | field studies | ethnographic research | research repository',
    ),
  },
  {
    id: 'usability',
    label: 'usability testing',
    terms: words(
      'usability testing | usability tests | usability test | usability studies | usability study |' +
        'user testing | user tests | moderated | unmoderated | heuristic evaluation | think-aloud |' +
        'tested with users | testing with users | usability',
    ),
  },
  {
    id: 'design_systems',
    label: 'design systems',
    terms: words(
      'design system | component library | ui kit | design tokens | pattern library | atomic design |' +
        'design language | style guide',
    ),
  },
  {
    id: 'accessibility',
    label: 'accessibility (WCAG)',
    terms: words(
      'accessibility | wcag | a11y | aria | screen reader | screen readers | inclusive design |' +
        'colour contrast | color contrast | section 508 | keyboard navigation',
    ),
  },
  {
    id: 'visual_design',
    label: 'visual and UI design',
    terms: words(
      'visual design | visual designer | typography | iconography | colour theory | color theory |' +
        'graphic design | graphic designer | brand design | branding | illustration | motion design |' +
        'adobe illustrator | illustrator | photoshop | indesign | adobe creative suite | creative cloud',
    ),
  },
  {
    // an analyst's A/B tests as well (the data field's experiments): a phrase two fields share counts for
    // the field of the job that reads it
    id: 'design_impact',
    label: 'measuring design impact (analytics, A/B tests)',
    terms: words(
      'a/b tests | a/b test | a/b testing | a/b-tested | heatmaps | session recordings | hotjar |' +
        'usability metrics | task success rate | product analytics',
    ),
  },
];

export const SALES: Family[] = [
  {
    // the role itself: what an account executive's title names
    id: 'sales',
    label: 'B2B sales',
    terms: words(
      'account executive | sales executive | b2b sales | enterprise sales | saas sales | inside sales |' +
        'field sales | new business sales | full-cycle sales | full sales cycle | sales cycle |' +
        'business development | business development representative | sales development representative |' +
        'sales representative | sales rep | selling | sold',
    ),
    exact: ['AE', 'SDR', 'BDR'],
  },
  {
    id: 'quota',
    label: 'quota attainment and revenue (ARR, ACV)',
    terms: words(
      'quota | quota attainment | of quota | quota-carrying | sales target | revenue target | of target |' +
        "president's club | presidents club | arr | new arr | acv | annual contract value |" +
        'annual recurring revenue | mrr | closed-won | closed won | tcv | of my target | of my quota |' +
        'of plan | above target | over target | hit quota | hit my quota | sales targets | new logos',
    ),
  },
  {
    id: 'prospecting',
    label: 'prospecting and pipeline generation',
    terms: words(
      'prospecting | prospected | pipeline generation | sales pipeline | generated pipeline |' +
        'sourced pipeline | pipeline building | outbound prospecting | outbound sales | outbound calls |' +
        'cold calling | cold calls | cold call | cold email | cold emails | cold outreach |' +
        'lead generation | inbound leads | sales navigator | linkedin sales navigator | outreach.io |' +
        'salesloft | apollo.io | mqls | outreach | own pipeline | generate pipeline | generating pipeline |' +
        'pipeline creation',
    ),
  },
  {
    id: 'crm',
    label: 'CRM and pipeline management (Salesforce, HubSpot)',
    terms: words(
      'salesforce | hubspot | pipedrive | zoho crm | microsoft dynamics | dynamics 365 | crm | gong |' +
        'clari | pipeline management | pipeline reviews | sales forecasting | forecast accuracy',
    ),
  },
  {
    id: 'discovery',
    label: 'discovery, qualification and demos',
    terms: words(
      'discovery calls | discovery call | discovery meetings | discovery sessions | needs analysis |' +
        'meddic | meddicc | meddpicc | bant | sales methodology | spin selling | challenger sale | solution selling |' +
        'consultative selling | value selling | value-based selling | sandler | product demos |' +
        'product demo | sales demos | live demos | demos | deal qualification | lead qualification',
    ),
  },
  {
    id: 'negotiation',
    label: 'negotiation and closing',
    terms: words(
      'negotiation | negotiations | negotiate | negotiated | negotiating | contract negotiation | closing |' +
        'closed deals | close deals | closing deals | deal closing | objection handling |' +
        'handled objections | commercial terms',
    ),
  },
  {
    id: 'account_management',
    label: 'account management and expansion',
    terms: words(
      'account management | account manager | key accounts | key account | key account management |' +
        'customer success | renewals | renewal | upsell | upselling | upsold | cross-sell |' +
        'cross-selling | expansion revenue | net revenue retention | nrr | book of business',
    ),
  },
];
