// What a brief is about beyond the skills it asks for: its own words outside the vocabulary (subscribers,
// tenure and plans for a churn study; orders, regions and margins for a sales dashboard). Two briefs of
// one field ask for the same skills — cleaning, a model, a dashboard, a README — so only these words tell
// a report that answers this brief from a thorough report on another project of the same kind.
import type { Match } from './match.ts';
import { findMatches } from './match.ts';
import { type ReadDocument, readDocument } from './text.ts';

export type Subject = Map<string, number>;

/** Lemma counts of a document's content words that are neither part of a vocabulary term nor negated. */
export function subjectOf(doc: ReadDocument, matches: Match[]): Subject {
  const out: Subject = new Map();
  // character ranges to skip (vocabulary terms, negated words), merged and in order; words are in order
  const skip = [
    ...matches.map((m): [number, number] => [m.start, m.end]),
    ...doc.sentences.flatMap((s) => s.negated),
  ].sort((a, b) => a[0] - b[0]);
  let k = 0;
  let reach = -1;
  for (const w of doc.content ?? []) {
    while (k < skip.length && skip[k]![0] < w.end) reach = Math.max(reach, skip[k++]![1]);
    if (reach > w.start) continue;
    out.set(w.lemma, (out.get(w.lemma) ?? 0) + 1);
  }
  return out;
}

const briefs = new Map<string, Subject>();

/** A brief's subject, remembered for the few briefs a service sees over and over. */
export function briefSubject(brief: string): Subject {
  let s = briefs.get(brief);
  if (!s) {
    const doc = readDocument(brief, [], true);
    s = subjectOf(doc, findMatches(doc));
    if (briefs.size >= 64) briefs.delete(briefs.keys().next().value!);
    briefs.set(brief, s);
  }
  return s;
}

export function cosine(a: Subject, b: Subject): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (const [w, x] of a) {
    na += x * x;
    dot += x * (b.get(w) ?? 0);
  }
  for (const y of b.values()) nb += y * y;
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

/**
 * 0..1: how far a report is about the brief's subject, full from a cosine of 0.2 between their words
 * outside the vocabulary (reports answering a brief sit at 0.25–0.7, other projects of the same field
 * near 0.1). 1 when the brief has too few such words to tell.
 */
export function onSubject(brief: Subject, report: Subject): number {
  if (brief.size < 8) return 1;
  return Math.min(1, cosine(brief, report) / 0.2);
}

/** Share of the brief's subject (by its own word counts) that the report uses. */
export function recall(brief: Subject, report: Subject): number {
  let got = 0;
  let total = 0;
  for (const [w, x] of brief) {
    total += x;
    if (report.has(w)) got += x;
  }
  return total ? got / total : 0;
}
