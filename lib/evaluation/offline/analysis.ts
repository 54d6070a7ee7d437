// Shared pieces of the offline analyses: what a parameter result looks like, the "cannot screen"
// refusal, how much a sentence's kind is worth as evidence, and bands from fractions to 1..5.
import { AppError, codes } from '../../errors.ts';
import type { Match } from './match.ts';
import type { ReadDocument, Sentence } from './text.ts';

export interface OfflineParameter {
  score: number;
  /** indexes of the sentences that are the evidence, best first */
  sentences: number[];
  note: string;
}

/** The job description (or brief) names too few concrete requirements to screen against. */
export class CannotScreenError extends AppError {
  constructor(what: 'job description' | 'case-study brief', found: number, needed: number) {
    super(
      codes.CANNOT_SCREEN,
      `cannot screen: the ${what} names ${found} concrete requirement${found === 1 ? '' : 's'} (at least ${needed} needed); add the skills, tools or duties the role needs`,
    );
  }
}

export const MIN_REQUIREMENTS = 4;

/** The weight of a keyword list's mention, or a line dense with terms (a list without commas) */
export const LIST_WEIGHT = 0.3;

/** How many vocabulary terms a sentence holds, and how many of its words they are */
export interface TermCount {
  terms: number;
  words: number;
}

/**
 * A bare list (or a line dense with terms) is weak evidence; work described is strong. Dense: half its
 * words terms and no verb, or two thirds with one; or a long run of words two thirds of which are the
 * words of terms, whatever the tagger calls a verb in it: a run of two-word terms without commas ("user
 * research usability testing interaction design…") is as much a keyword list as a run of tool names,
 * and counted by terms it read as half prose. A short line of two such terms is still a phrase.
 */
export function sentenceWeight(s: Sentence, count: TermCount): number {
  const n = count.terms;
  const dense =
    (s.words >= 4 && n * 2 >= s.words && (!s.hasVerb || n * 3 >= s.words * 2)) ||
    (s.words >= RUN_WORDS && count.words * 3 >= s.words * 2);
  if (s.kind === 'list' || dense) return LIST_WEIGHT;
  if (s.kind === 'heading') return 0.5;
  if (s.kind === 'experience') return 1;
  return s.section === 'summary' ? 0.6 : 0.85;
}

const RUN_WORDS = 12;

export function termCounts(doc: ReadDocument, matches: Match[]): TermCount[] {
  const spans = doc.sentences.map(() => new Map<number, number>());
  for (const m of matches) {
    const at = spans[m.sentence]!;
    at.set(m.start, Math.max(at.get(m.start) ?? 0, m.term.split(' ').length));
  }
  return spans.map((at) => ({ terms: at.size, words: [...at.values()].reduce((x, y) => x + y, 0) }));
}

export function band(x: number, cuts: [number, number, number, number]): number {
  if (x >= cuts[0]) return 5;
  if (x >= cuts[1]) return 4;
  if (x >= cuts[2]) return 3;
  if (x >= cuts[3]) return 2;
  return 1;
}

export const countBand = (n: number) => Math.min(5, 1 + n);

export const top = (scored: Map<number, number>, n = 3) =>
  [...scored.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, n)
    .map(([i]) => i);
