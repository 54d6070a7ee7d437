// The offline provider: the default when no LLM is configured. Deterministic and explainable: it
// scores from the documents themselves (skills of the job description found in the CV, evidence of the
// brief's requirements in the report) and its feedback cites what it found. Its provenance says
// "offline"; it never poses as an LLM.
import {
  CV_WEIGHTS,
  type CvParameter,
  PROJECT_WEIGHTS,
  type ProjectParameter,
  type Scores,
} from '../rubric.ts';
import type { Provider, ProviderAnswer, StepContext, StepRequest } from '../types.ts';

/** Technical terms worth matching; multi-word terms first so "node.js" is not read as "node". */
const SKILLS = [
  'typescript',
  'javascript',
  'node.js',
  'postgresql',
  'sql',
  'kafka',
  'rabbitmq',
  'redis',
  'docker',
  'kubernetes',
  'aws',
  'gcp',
  'azure',
  'rest',
  'graphql',
  'grpc',
  'api',
  'microservices',
  'distributed systems',
  'ci/cd',
  'opentelemetry',
  'prometheus',
  'observability',
  'monitoring',
  'llm',
  'prompt engineering',
  'rag',
  'vector database',
  'embeddings',
  'python',
  'go',
  'java',
  'testing',
  'idempotency',
  'retries',
  'backoff',
  'circuit breaker',
  'timeouts',
  'message queue',
  'cloud',
  'terraform',
  'linux',
];
const ACHIEVEMENT =
  /\b(reduced|increased|improved|cut|grew|saved|led|launched|built|designed|scaled|delivered)\b[^.\n]*\d/gi;
const COLLABORATION = [
  'mentor',
  'team',
  'collaborat',
  'cross-functional',
  'communication',
  'speaker',
  'documentation',
  'onboarding',
  'review',
  'led',
];
const SENIORITY = ['senior', 'lead', 'principal', 'staff', 'architect', 'head of'];

const PROJECT_EVIDENCE: Record<ProjectParameter, string[]> = {
  correctness: [
    'upload',
    'endpoint',
    'asynchronous',
    'queue',
    'job id',
    'status',
    'result',
    'chain',
    'schema',
    'rag',
    'vector',
    'retriev',
  ],
  code_quality: [
    'modular',
    'typed',
    'typescript',
    'unit test',
    'integration test',
    'tests',
    'lint',
    'ci',
    'refactor',
    'clean',
  ],
  resilience: [
    'timeout',
    'retry',
    'retries',
    'backoff',
    'idempoten',
    'error',
    'circuit breaker',
    'fallback',
    '429',
    '5xx',
  ],
  documentation: [
    'readme',
    'setup',
    'instructions',
    'diagram',
    'architecture',
    'trade-off',
    'explain',
    'documentation',
  ],
  creativity: ['dashboard', 'cache', 'extra', 'bonus', 'additionally', 'novel', 'beyond', 'added'],
};

/** Terms found in the text: whole words, or word starts when `stems` (e.g. "collaborat"). */
export function findTerms(text: string, terms: string[], stems = false): string[] {
  const lower = ` ${text.toLowerCase()} `;
  return terms.filter((t) => {
    const escaped = t.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    return new RegExp(`(^|[^a-z0-9])${escaped}${stems ? '' : '(?![a-z0-9])'}`, 'i').test(lower);
  });
}

/** Maps a fraction 0..1 to a 1..5 score with fixed, documented thresholds. */
function band(fraction: number): number {
  if (fraction >= 0.8) return 5;
  if (fraction >= 0.6) return 4;
  if (fraction >= 0.4) return 3;
  if (fraction >= 0.2) return 2;
  return 1;
}

function years(text: string): number {
  const stated = [...text.matchAll(/(\d{1,2})\+?\s*(?:years?|yrs?)/gi)].map((m) => Number(m[1]));
  return stated.length ? Math.max(...stated) : 0;
}

export function analyseCv(ctx: StepContext): { scores: Scores<CvParameter>; feedback: string } {
  const wanted = findTerms(ctx.jobDescription, SKILLS);
  const have = findTerms(ctx.cvText, wanted);
  const missing = wanted.filter((s) => !have.includes(s));
  const y = years(ctx.cvText);
  const senior = findTerms(ctx.cvText, SENIORITY);
  const achievements = ctx.cvText.match(ACHIEVEMENT) ?? [];
  const collaboration = findTerms(ctx.cvText, COLLABORATION, true);
  const scores: Scores<CvParameter> = {
    technical_skills: band(wanted.length ? have.length / wanted.length : 0),
    experience_level: Math.min(
      5,
      Math.max(1, (y >= 7 ? 4 : y >= 5 ? 3 : y >= 3 ? 2 : 1) + (senior.length ? 1 : 0)),
    ),
    relevant_achievements: Math.min(5, 1 + achievements.length),
    cultural_fit: band(collaboration.length / 6),
  };
  const feedback = [
    `Matched ${have.length} of ${wanted.length} skills the job description asks for${have.length ? ` (${have.join(', ')})` : ''}.`,
    missing.length ? `Not found in the CV: ${missing.join(', ')}.` : 'Every listed skill appears in the CV.',
    `Stated experience: ${y ? `${y} years` : 'no number of years found'}${senior.length ? `, seniority signals: ${senior.join(', ')}` : ''}.`,
    `${achievements.length} quantified achievement${achievements.length === 1 ? '' : 's'} found; collaboration signals: ${collaboration.length ? collaboration.join(', ') : 'none'}.`,
  ].join(' ');
  return { scores, feedback };
}

export function analyseProject(ctx: StepContext): { scores: Scores<ProjectParameter>; feedback: string } {
  const found = {} as Record<ProjectParameter, string[]>;
  const scores = {} as Scores<ProjectParameter>;
  for (const p of Object.keys(PROJECT_WEIGHTS) as ProjectParameter[]) {
    found[p] = findTerms(ctx.projectText, PROJECT_EVIDENCE[p], true);
    scores[p] = band(found[p].length / Math.min(PROJECT_EVIDENCE[p].length, 6));
  }
  const briefTerms = findTerms(ctx.studyCaseBrief, PROJECT_EVIDENCE.correctness, true);
  const covered = findTerms(ctx.projectText, briefTerms, true);
  scores.correctness = band(briefTerms.length ? covered.length / briefTerms.length : 0);
  const feedback = [
    `The report covers ${covered.length} of ${briefTerms.length} requirements named in the brief${covered.length ? ` (${covered.join(', ')})` : ''}.`,
    ...(Object.keys(PROJECT_WEIGHTS) as ProjectParameter[])
      .filter((p) => p !== 'correctness')
      .map(
        (p) =>
          `${p.replace('_', ' ')}: ${found[p].length ? `evidence of ${found[p].join(', ')}` : 'no evidence found'}.`,
      ),
  ].join(' ');
  return { scores, feedback };
}

function strongest<K extends string>(scores: Scores<K>, weights: Record<K, number>): K {
  return (Object.keys(weights) as K[]).reduce((a, b) => (scores[b] > scores[a] ? b : a));
}
function weakest<K extends string>(scores: Scores<K>, weights: Record<K, number>): K {
  return (Object.keys(weights) as K[]).reduce((a, b) => (scores[b] < scores[a] ? b : a));
}

export function summarise(ctx: StepContext): string {
  const cv = ctx.cv!;
  const project = ctx.project!;
  const label = (k: string) => k.replace('_', ' ');
  return [
    `This offline evaluation scored the CV strongest on ${label(strongest(cv.scores, CV_WEIGHTS))} and weakest on ${label(weakest(cv.scores, CV_WEIGHTS))}.`,
    `The project report is strongest on ${label(strongest(project.scores, PROJECT_WEIGHTS))} and weakest on ${label(weakest(project.scores, PROJECT_WEIGHTS))}.`,
    `The scores come from matching the documents against the job description, the case-study brief and the rubric, not from a language model.`,
    `A reviewer should confirm the missing items listed in the feedback before deciding.`,
  ].join(' ');
}

export class OfflineProvider implements Provider {
  readonly name = 'offline';
  readonly model = 'keyword-rubric-v1';
  readonly kind = 'offline' as const;

  /** `delayMs` per step simulates an LLM's latency (load tests, the chaos verifier); 0 by default. */
  private readonly delayMs: number;
  constructor(options: { delayMs?: number } = {}) {
    this.delayMs = options.delayMs ?? 0;
  }

  async complete(request: StepRequest): Promise<ProviderAnswer> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const ctx = request.context;
    const answer =
      request.step === 'cv'
        ? analyseCv(ctx)
        : request.step === 'project'
          ? analyseProject(ctx)
          : { overall_summary: summarise(ctx) };
    return { content: JSON.stringify(answer), usage: { inputTokens: 0, outputTokens: 0 } };
  }
}
