// The offline evaluator's answers, in the same shape an LLM gives: a score and verbatim quotes per
// rubric parameter, feedback that says what was matched and what is missing, and a summary.
import { MAX_QUOTE_CHARS } from '../evidence.ts';
import type { RubricParameter } from '../rubric.ts';
import type { Analysis, StepAnswer } from '../types.ts';
import { CannotScreenError, MIN_REQUIREMENTS, type OfflineParameter } from './analysis.ts';
import { analyseCvText, jobRequirementsFound } from './cv.ts';
import { analyseReportText, briefRequirementsFound } from './project.ts';
import type { ReadDocument } from './text.ts';

export { CannotScreenError } from './analysis.ts';

/**
 * Refuses, as an evaluation of it would fail, a job description or brief the offline reader cannot screen
 * against (CANNOT_SCREEN): where a position or request gives it, rather than on every job later.
 */
export function refuseUnscreenable(texts: { jobDescription?: string; studyCaseBrief?: string }): void {
  if (texts.jobDescription !== undefined) {
    const found = jobRequirementsFound(texts.jobDescription);
    if (found < MIN_REQUIREMENTS) throw new CannotScreenError('job description', found, MIN_REQUIREMENTS);
  }
  if (texts.studyCaseBrief !== undefined) {
    const found = briefRequirementsFound(texts.studyCaseBrief);
    if (found < MIN_REQUIREMENTS) throw new CannotScreenError('case-study brief', found, MIN_REQUIREMENTS);
  }
}

/**
 * The offline reader looks at the first 100,000 characters of a document (about 30 pages): enough for
 * any CV or report, and it bounds the time one hostile document can take. Offsets stay valid (a prefix).
 */
export const MAX_ANALYSED_CHARS = 100_000;
const bounded = (text: string) => text.slice(0, MAX_ANALYSED_CHARS);

function answer(
  doc: ReadDocument,
  found: Record<string, OfflineParameter>,
  params: RubricParameter[],
  feedback: string,
): StepAnswer {
  const parameters: StepAnswer['parameters'] = {};
  for (const p of params) {
    const f = found[p.key]!;
    // a sentence is read in pieces that fit a quote (text.ts); only a single word longer than that is cut
    const quote = (i: number) => doc.sentences[i]!.text.slice(0, MAX_QUOTE_CHARS);
    parameters[p.key] = { score: f.score, evidence: f.sentences.map(quote) };
  }
  return { parameters, feedback };
}

export function offlineCvAnswer(
  jobDescription: string,
  cvText: string,
  params: RubricParameter[],
  exclude: [number, number][] = [],
): StepAnswer & { englishShare: number } {
  const f = analyseCvText(bounded(jobDescription), bounded(cvText), exclude);
  const missing = f.met.filter((m) => m.credit < 0.5);
  // a requirement named only in a skills list (or in passing) earns a little credit, not enough to count
  // as shown: saying "Not shown: CI/CD" of a CV whose skills list says CI/CD reads as a misreading
  const passing = missing.filter((m) => m.credit > 0).map((m) => m.label);
  const absent = missing.filter((m) => m.credit === 0).map((m) => m.label);
  const feedback = [
    `The job description names ${f.requirements.length} requirements; the CV shows ${f.met.length - missing.length} of them in its text.`,
    passing.length
      ? `Named only in a skills list or in passing, with no work described: ${passing.slice(0, 8).join(', ')}.`
      : '',
    absent.length ? `Not shown: ${absent.slice(0, 8).join(', ')}.` : '',
    missing.length ? '' : 'Every requirement is shown.',
    ...params.map(
      (p) => `${p.key.replace(/_/g, ' ')}: ${f.parameters[p.key as keyof typeof f.parameters].note}.`,
    ),
  ]
    .filter(Boolean)
    .join(' ');
  return { ...answer(f.doc, f.parameters, params, feedback), englishShare: f.doc.englishShare };
}

export function offlineProjectAnswer(
  brief: string,
  reportText: string,
  params: RubricParameter[],
  exclude: [number, number][] = [],
): StepAnswer {
  const f = analyseReportText(bounded(brief), bounded(reportText), exclude);
  const feedback = [
    `The report covers ${f.covered.length} of the ${f.requirements.length} requirements of the brief${f.covered.length ? ` (${f.covered.slice(0, 6).join(', ')})` : ''}.`,
    f.passing.length
      ? `Mentioned only in a list or in passing, with no work described: ${f.passing.slice(0, 8).join(', ')}.`
      : '',
    f.missing.length ? `Missing or stated as not done: ${f.missing.slice(0, 8).join(', ')}.` : '',
    ...params.map(
      (p) => `${p.key.replace(/_/g, ' ')}: ${f.parameters[p.key as keyof typeof f.parameters].note}.`,
    ),
  ]
    .filter(Boolean)
    .join(' ');
  return answer(f.doc, f.parameters, params, feedback);
}

/** Names the highest and lowest parameters; says "evenly" when they are all the same. */
function extremes(scores: Record<string, number>): string {
  const values = Object.values(scores);
  const hi = Math.max(...values);
  const lo = Math.min(...values);
  const label = (v: number) =>
    Object.entries(scores)
      .filter(([, s]) => s === v)
      .map(([k]) => k.replace(/_/g, ' '))
      .join(' and ');
  if (hi === lo) return `evenly, ${hi} of 5 on every criterion`;
  return `strongest on ${label(hi)} (${hi}/5) and weakest on ${label(lo)} (${lo}/5)`;
}

export function offlineSummary(cv: Analysis, project: Analysis): string {
  return [
    `This offline evaluation scored the CV ${extremes(cv.scores)}.`,
    `The project report scored ${extremes(project.scores)}.`,
    'The scores come from matching the documents against the requirements of the job description and the brief, not from a language model.',
    'A reviewer should confirm the missing items listed in the feedback before deciding.',
  ].join(' ');
}
