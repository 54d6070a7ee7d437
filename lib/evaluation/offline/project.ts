// The offline project-report analysis: correctness is how much of the brief the report shows as done —
// the brief's requirements (a negated mention — "no tests, no queue" — counts against) and the brief's own
// words — scaled by how far the report is about the brief at all: its field (a backend service read
// against a churn brief) and its subject (a sales forecast read against a churn brief). Quality,
// resilience, documentation and extras count affirmative evidence and can exceed correctness by one point
// at most (not at all for a report partly about something else, nor above 1 for one that covers nothing of
// the brief), so a thorough report on another project stays low.

import { boundedMemo } from '../../util/bounded-memo.ts';
import {
  band,
  CannotScreenError,
  MIN_REQUIREMENTS,
  type OfflineParameter,
  sentenceWeight,
  termCounts,
  top,
} from './analysis.ts';
import { fieldProfile, fieldsOf, onFieldShare } from './field.ts';
import { matchesFor, type Requirement, requirementsOf, termsIn } from './match.ts';
import { briefSubject, onSubject, recall, type Subject, subjectOf } from './subject.ts';
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
  /** requirements mentioned, but only in a list or in passing (some credit, too little to count) */
  passing: string[];
  /** requirements not mentioned, or stated as not done */
  missing: string[];
}

/** What the analysis reads from a brief, derived once per distinct brief (every report of a position). */
const briefOf = boundedMemo((brief: string) => {
  const requirements = requirementsOf(brief, readDocument);
  return {
    requirements,
    // only what the vocabulary knows makes a description screenable: a list of names alone is not a role
    known: requirements.filter((r) => !r.name).length,
    fields: fieldsOf(requirements),
    subject: briefSubject(brief),
    plain: ` ${plainWords(brief)} `,
  };
});

/** Lower-case words and numbers, one space apart: how a copied passage is recognised. */
const plainWords = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

/**
 * The sentences of a report copied from the brief (six words or more, as the brief has them): the brief's
 * own requirements restated are not evidence of work done. Found from outside: the default brief pasted
 * as a report scored 8.0, above two good reports.
 */
function copiedFromBrief(plainBrief: string, report: string): [number, number][] {
  const out: [number, number][] = [];
  for (const m of report.matchAll(/[^\n.!?]+[.!?]*/g)) {
    const words = plainWords(m[0]);
    if (words.split(' ').length >= 6 && plainBrief.includes(` ${words} `))
      out.push([m.index, m.index + m[0].length]);
  }
  return out;
}

/** How many concrete requirements the analysis finds in a case-study brief. */
export const briefRequirementsFound = (brief: string): number => briefOf(brief).known;

export function analyseReportText(
  brief: string,
  reportText: string,
  exclude: [number, number][] = [],
): ProjectFindings {
  const { requirements, known, fields, subject, plain } = briefOf(brief);
  if (known < MIN_REQUIREMENTS) throw new CannotScreenError('case-study brief', known, MIN_REQUIREMENTS);
  const doc = readDocument(reportText, [...exclude, ...copiedFromBrief(plain, reportText)], true);
  const { all, wanted: matches } = matchesFor(doc, requirements);
  // a report about another field's project (a backend service read against a churn brief) shares words
  // with the brief (a dashboard, a README) but not its subject: its coverage counts in proportion; so
  // does a report on another project of the same field (a sales forecast read against a churn brief)
  const profile = fieldProfile(all, fields);
  const own = subjectOf(doc, all);
  const relevant = Math.min(1, onFieldShare(profile) / 0.5) * onSubject(subject, own);
  // a line dense with terms is a keyword list whichever job reads it: count every term, not only wanted ones
  const counts = termCounts(doc, all);
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
  const passing: string[] = [];
  const missing: string[] = [];
  for (const r of requirements) {
    const c = Math.max(0, (credit.get(r.family) ?? 0) - (negated.has(r.family) ? 0.6 : 0));
    total += r.weight;
    got += r.weight * c;
    (c >= 0.5 ? covered : c > 0 ? passing : missing).push(r.label);
  }
  // 1 means "nothing of the brief"; a report on the brief's subject (two or more of its field's topics,
  // mostly that field) that shows any requirement is thin, not absent
  const onTopic = got > 0 && relevant === 1 && profile.on >= 2;
  const correctness = Math.max(
    band(total ? coverageOf(got / total, subject, own) * relevant : 0, [0.7, 0.5, 0.32, 0.15]),
    onTopic ? 2 : 1,
  );
  // quality, resilience, documentation and extras of work the brief did not ask for do not count: one
  // point above correctness at most, none when the report is partly about another project or field
  const ceiling = correctness === 1 ? 1 : relevant < 1 ? correctness : correctness + 1;
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
    const score = Math.max(1, Math.min(ceiling, Math.min(5, 1 + Math.ceil(n * 0.75))));
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
  return { doc, parameters, requirements, covered, passing, missing };
}

/**
 * How much of the brief a report delivers: the requirements it shows (vocabulary) and, as much, the
 * brief's own words it uses (the deliverables' specifics: "filters for region and month", "tenure").
 */
function coverageOf(requirements: number, subject: Subject, own: Subject): number {
  return subject.size < 8 ? requirements : (requirements + recall(subject, own)) / 2;
}
