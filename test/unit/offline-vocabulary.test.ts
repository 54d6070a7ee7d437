// How the offline vocabulary meets the spellings job descriptions and CVs use for the same skill: the other
// number of a multi-word term, a vendor's name before a tool, and professions beyond software, care and
// data analysis.
import { describe, expect, it } from 'vitest';
import { analyseCvText } from '../../lib/evaluation/offline/cv.ts';
import { fieldProfile } from '../../lib/evaluation/offline/field.ts';
import { deriveRequirements, findMatches, otherNumberOf } from '../../lib/evaluation/offline/match.ts';
import { readDocument } from '../../lib/evaluation/offline/text.ts';

const found = (text: string) => findMatches(readDocument(text)).map((m) => `${m.family}:${m.term}`);
const required = (text: string) => deriveRequirements(readDocument(text));

describe('offline vocabulary: spellings of one skill', () => {
  it('a multi-word term matches with its last word in the other number, recorded as the term itself', () => {
    expect(otherNumberOf('star schema')).toBe('star schemas');
    expect(otherNumberOf('data warehouse')).toBe('data warehouses');
    expect(otherNumberOf('hypothesis test')).toBe('hypothesis tests');
    expect(otherNumberOf('pressure injury')).toBe('pressure injuries');
    // and back: the vocabulary's plural met by a title's singular
    expect(otherNumberOf('data engineers')).toBe('data engineer');
    expect(otherNumberOf('sql queries')).toBe('sql query');
    // one word keeps its spelling; an -s that is no plural has no singular
    expect(otherNumberOf('cohort')).toBeUndefined();
    expect(otherNumberOf('data analysis')).toBeUndefined();
    expect(found('# Data Engineer')).toContain('data_quality:data engineers');
    expect(found('Modelled sales as star schemas in the warehouse.')).toContain('modelling:star schema');
    // the description's singular and the CV's plural are the same named term: full credit, not a sibling's
    const named = required('- Model data as a star schema.\n- Write SQL in BigQuery.\n- Python and pandas.');
    expect(named.find((r) => r.family === 'modelling')?.named.has('star schema')).toBe(true);
  });

  it('"statistical tests" are statistics as well as a test or model: the longer plural keeps both', () => {
    expect(found('Designed statistical tests for comparing models.')).toEqual(
      expect.arrayContaining(['model:statistical test', 'statistics:statistical test']),
    );
  });

  it('Spark is a requirement of its own, and a vendor before a known tool makes no name requirement', () => {
    const jd = `# Data Engineer

- Build batch and streaming data pipelines; orchestrate them with Apache Airflow.
- Process large datasets with Apache Spark (PySpark) on AWS Glue.
- Write transformations in SQL and dbt in a Snowflake warehouse.
- 3+ years of data engineering.`;
    const ids = required(jd).map((r) => r.family);
    expect(ids).toContain('big_data');
    expect(ids).toContain('data_quality');
    // "Apache Airflow" is the vocabulary's Airflow, "Apache" before Spark names nothing; an unknown
    // tool keeps its vendor ("AWS Glue" is not any glue)
    expect(ids.filter((id) => id.startsWith('name:apache'))).toEqual([]);
    expect(ids).not.toContain('name:pyspark');
    expect(ids.filter((id) => id.startsWith('name:') && id.includes('glue'))).toHaveLength(1);
    expect(ids).not.toContain('name:glue');
  });

  it("a Spark job is a distributed system too: a data engineer's Spark is not off-field for a software job", () => {
    const ms = findMatches(readDocument('- Built ETL jobs in Apache Spark and PySpark.'));
    expect(ms.map((m) => m.family)).toEqual(expect.arrayContaining(['big_data', 'distributed']));
    const spark = ms.filter((m) => m.term.includes('spark'));
    expect(fieldProfile(spark, new Set(['software']))).toEqual({ on: 1, off: 0 });
    expect(fieldProfile(spark, new Set(['data']))).toEqual({ on: 1, off: 0 });
  });
});

const DESIGN_JD = `# UX Designer, Mobile Banking

- Lead user research: interviews, diary studies and usability tests with customers.
- Turn findings into user flows, wireframes and prototypes in Figma.
- Keep our design system and its accessibility (WCAG) up to date.
- Check releases with A/B tests and product analytics.
- 4+ years of UX design on digital products.`;

const SALES_JD = `# Enterprise Account Executive

- Own new business from prospecting to close; build your own pipeline with cold outreach.
- Run discovery calls and product demos; qualify deals with MEDDPICC.
- Negotiate contracts with procurement; keep HubSpot current and forecast accurately.
- A track record of quota attainment in SaaS sales; 4+ years of B2B sales.`;

const PLATFORM_JD = `# Platform Engineer

- Operate Kubernetes and Docker on AWS; infrastructure as code with Terraform.
- Build CI/CD pipelines with GitHub Actions; run monitoring with Prometheus and Grafana.
- Lead incident response and on-call; automate with Python and Bash on Linux.
- 3+ years in a platform or site reliability role.`;

const fieldOf = (text: string) =>
  new Set(required(text).flatMap((r) => (r.name ? [] : [r.family.split(':')[0]!])));

describe('offline vocabulary: product design and B2B sales', () => {
  it('a product-design job is screened on design requirements, its title the role itself', () => {
    const rs = required(DESIGN_JD);
    const ids = rs.map((r) => r.family);
    for (const id of ['product_design', 'user_research', 'usability', 'prototyping', 'design_tools'])
      expect(ids).toContain(id);
    expect(ids).toEqual(expect.arrayContaining(['design_systems', 'accessibility', 'design_impact']));
    expect(rs.find((r) => r.family === 'product_design')?.title).toBe(true);
    // the analysts' sense of A/B tests is not a second requirement of a design job
    expect(ids).not.toContain('experiments');
  });

  it('a B2B sales job is screened on sales requirements', () => {
    const ids = required(SALES_JD).map((r) => r.family);
    for (const id of ['sales', 'quota', 'prospecting', 'discovery', 'negotiation', 'crm'])
      expect(ids).toContain(id);
    expect(ids).not.toContain('name:meddpicc');
  });

  it('a designer outranks a frontend developer who implements designs, and a seller a marketer', () => {
    const designer = `Experience
UX Designer, Bankly (2019 – 2025)
- Ran user interviews and moderated usability tests every sprint; synthesised findings into personas.
- Designed user flows, wireframes and high-fidelity prototypes in Figma; extended our design system.
- Audited the app against WCAG 2.1 and fixed colour contrast; measured releases with A/B tests.`;
    const frontend = `Experience
Frontend Developer, Bankly (2019 – 2025)
- Built React and TypeScript screens from Figma designs; wrote unit tests in Jest.
- Fixed bugs and improved page load times by 30%.`;
    const score = (jd: string, cv: string) => analyseCvText(jd, cv).parameters.technical_skills.score;
    expect(score(DESIGN_JD, designer)).toBeGreaterThan(score(DESIGN_JD, frontend));
    const seller = `Experience
Account Executive, Cloudly (2018 – 2025)
- Closed €1.8M of new ARR at 118% of quota; sourced half of my pipeline by cold calling and outreach.
- Ran discovery calls and product demos; negotiated contracts with procurement; Salesforce daily.`;
    const marketer = `Experience
Marketing Manager, Cloudly (2018 – 2025)
- Ran paid search and webinars; wrote case studies and the newsletter; grew traffic by 60%.`;
    expect(score(SALES_JD, seller)).toBeGreaterThan(score(SALES_JD, marketer));
  });

  it('no design or sales requirement spills into a platform job, nor software into the new ones', () => {
    const design = new Set(['product_design', 'interaction', 'prototyping', 'user_research', 'usability']);
    const sales = new Set(['sales', 'quota', 'prospecting', 'crm', 'discovery', 'negotiation']);
    for (const id of fieldOf(PLATFORM_JD)) expect(design.has(id) || sales.has(id)).toBe(false);
    expect(fieldOf(DESIGN_JD).has('testing')).toBe(false);
    expect(fieldOf(SALES_JD).has('cicd')).toBe(false);
  });
});
