// The offline project-report analysis: correctness is the share of the brief's own requirements the
// report shows as done (a negated mention — "no tests, no queue" — counts against); quality,
// resilience, documentation and extras count affirmative evidence, and none can exceed correctness by
// more than one point (nor rise above 1 when the report covers nothing of the brief), so an off-topic report full of good words stays low.
import {
  band,
  CannotScreenError,
  MIN_REQUIREMENTS,
  type OfflineParameter,
  sentenceWeight,
  termCounts,
  top,
} from './analysis.ts';
import { deriveRequirements, findMatches, type Requirement, termsIn } from './match.ts';
import { type ReadDocument, readDocument } from './text.ts';

export type ProjectKey = 'correctness' | 'code_quality' | 'resilience' | 'documentation' | 'creativity';

const EVIDENCE: Record<Exclude<ProjectKey, 'correctness'>, string[]> = {
  code_quality: [
    'tests',
    'unit tests',
    'integration tests',
    'pytest',
    'jest',
    'vitest',
    'modular',
    'typed',
    'types',
    'linted',
    'lint',
    'ci',
    'schema',
    'json schema',
    'pydantic',
    'zod',
    'validated',
    'validation',
    'code review',
    'peer review',
    'reproducible',
    'hold-out',
    'test set',
    'evaluated',
    'checklist',
    'compliance',
    'root cause analysis',
    'fishbone',
  ],
  resilience: [
    'timeout',
    'timeouts',
    'retry',
    'retries',
    'retried',
    'backoff',
    'idempotent',
    'idempotency',
    'circuit breaker',
    'error',
    'errors',
    'error handling',
    'failing',
    'failures',
    'failed',
    'fallback',
    'repair pass',
    'dead-letter',
    'risks',
    'patient safety',
    'no harm',
    'limited them',
    'limitations',
    'outliers',
    'missing values',
    'duplicates',
    'imputed',
    'capped',
  ],
  documentation: [
    'readme',
    'documentation',
    'setup instructions',
    'architecture diagram',
    'diagram',
    'trade-offs',
    'explains',
    'explained',
    'explain',
    'how to run',
    'method',
    'report',
    'ward policy',
    'data dictionary',
    'charts',
  ],
  creativity: [
    'extras',
    'extra',
    'bonus',
    'beyond',
    'additionally',
    'i added',
    'dashboard',
    'cache',
    'champion',
    'refreshed daily',
    'discount',
    'audits',
    'bed alarms',
    'pharmacist review',
  ],
};

export interface ProjectFindings {
  doc: ReadDocument;
  parameters: Record<ProjectKey, OfflineParameter>;
  requirements: Requirement[];
  covered: string[];
  missing: string[];
}

export function analyseReportText(
  brief: string,
  reportText: string,
  exclude: [number, number][] = [],
): ProjectFindings {
  const requirements = deriveRequirements(readDocument(brief));
  if (requirements.length < MIN_REQUIREMENTS)
    throw new CannotScreenError('case-study brief', requirements.length, MIN_REQUIREMENTS);
  const doc = readDocument(reportText, exclude);
  const wanted = new Set(requirements.map((r) => r.family));
  const matches = findMatches(doc).filter((m) => wanted.has(m.family));
  const counts = termCounts(doc, matches);
  const credit = new Map<string, number>();
  const negated = new Set<string>();
  const evidence = new Map<number, number>();
  for (const m of matches) {
    if (m.negated) {
      negated.add(m.family);
      continue;
    }
    const c = sentenceWeight(doc.sentences[m.sentence]!, counts[m.sentence]!);
    credit.set(m.family, Math.max(credit.get(m.family) ?? 0, c));
    evidence.set(m.sentence, (evidence.get(m.sentence) ?? 0) + c);
  }
  let total = 0;
  let got = 0;
  const covered: string[] = [];
  const missing: string[] = [];
  for (const r of requirements) {
    const c = Math.max(0, (credit.get(r.family) ?? 0) - (negated.has(r.family) ? 0.6 : 0));
    total += r.weight;
    got += r.weight * c;
    (c >= 0.5 ? covered : missing).push(r.label);
  }
  const correctness = band(total ? got / total : 0, [0.7, 0.5, 0.32, 0.15]);
  const parameters = {
    correctness: {
      score: correctness,
      sentences: top(evidence),
      note: `covers ${covered.length} of ${requirements.length} requirements of the brief`,
    },
  } as Record<ProjectKey, OfflineParameter>;
  for (const [key, terms] of Object.entries(EVIDENCE) as [Exclude<ProjectKey, 'correctness'>, string[]][]) {
    const found = new Set<string>();
    const against = new Set<string>();
    const where = new Map<number, number>();
    doc.sentences.forEach((s, i) => {
      for (const t of termsIn(s.text, terms)) {
        const at = s.start + t.index;
        if (s.negated.some(([a, b]) => at < b && at + t.term.length > a)) against.add(t.term);
        else {
          found.add(t.term);
          where.set(i, (where.get(i) ?? 0) + 1);
        }
      }
    });
    const n = Math.max(0, found.size - against.size);
    const score = Math.max(
      1,
      Math.min(correctness === 1 ? 1 : correctness + 1, Math.min(5, 1 + Math.ceil(n * 0.75))),
    );
    parameters[key] = {
      score,
      sentences: top(where),
      note: found.size
        ? `evidence: ${[...found].slice(0, 5).join(', ')}${against.size ? `; stated as missing: ${[...against].slice(0, 5).join(', ')}` : ''}`
        : against.size
          ? `stated as missing: ${[...against].slice(0, 5).join(', ')}`
          : 'no evidence found',
    };
  }
  return { doc, parameters, requirements, covered, missing };
}
