// Finds vocabulary terms in a read document, sentence by sentence, and whether each sits under a negation.
import type { ReadDocument, Sentence } from './text.ts';
import { FAMILIES, type Family } from './vocabulary.ts';

export interface Match {
  family: string;
  term: string;
  start: number;
  end: number;
  negated: boolean;
  sentence: number;
}

const escapeRe = (t: string) => t.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const bounded = (terms: string[], flags: string) =>
  new RegExp(
    `(?<![\\p{L}\\p{N}_])(?:${[...terms]
      .sort((a, b) => b.length - a.length)
      .map(escapeRe)
      .join('|')})(?![\\p{L}\\p{N}_]|\\.[\\p{L}])`,
    flags,
  );

const compiled = new Map<string, RegExp[]>();
function regexes(f: Family): RegExp[] {
  let r = compiled.get(f.id);
  if (!r) {
    r = [bounded(f.terms, 'giu'), ...(f.exact?.length ? [bounded(f.exact, 'gu')] : [])];
    compiled.set(f.id, r);
  }
  return r;
}

export function termsIn(text: string, terms: string[]): { term: string; index: number }[] {
  if (terms.length === 0) return [];
  return [...text.matchAll(bounded(terms, 'giu'))].map((m) => ({ term: m[0].toLowerCase(), index: m.index }));
}

export function findMatches(doc: ReadDocument, families: Family[] = FAMILIES): Match[] {
  const out: Match[] = [];
  doc.sentences.forEach((s: Sentence, i) => {
    for (const f of families) {
      for (const re of regexes(f)) {
        for (const m of s.text.matchAll(re)) {
          const start = s.start + m.index;
          const end = start + m[0].length;
          const negated = s.negated.some(([a, b]) => start < b && end > a);
          out.push({ family: f.id, term: m[0].toLowerCase(), start, end, negated, sentence: i });
        }
      }
    }
  });
  return out;
}

export interface Requirement {
  family: string;
  label: string;
  weight: number;
  /** the terms the description itself used: exact matches earn full credit, siblings most of it */
  named: Set<string>;
}

const OPTIONAL = /\b(plus|preferred|nice to have|bonus|ideally|advantage|desirable)\b/i;

/** Requirements derived from a job description or a brief: every vocabulary family it names. */
export function deriveRequirements(doc: ReadDocument): Requirement[] {
  const byFamily = new Map<string, Requirement>();
  for (const m of findMatches(doc)) {
    const family = FAMILIES.find((f) => f.id === m.family)!;
    const weight = (OPTIONAL.test(doc.sentences[m.sentence]!.text) ? 0.5 : 1) * (family.generic ? 0.4 : 1);
    const r = byFamily.get(m.family) ?? { family: m.family, label: family.label, weight, named: new Set() };
    r.weight = Math.max(r.weight, weight);
    r.named.add(m.term);
    byFamily.set(m.family, r);
  }
  return [...byFamily.values()];
}

/** Stated years of required experience ("3+ years of …"); 2 when the description names none. */
export function requiredYears(text: string): number {
  const m = /(\d{1,2})\s*\+?\s*(?:years?|yrs?)\b/i.exec(text);
  return m ? Math.max(1, Number(m[1])) : 2;
}
