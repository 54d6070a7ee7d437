// Personal data stays home: before text goes to a remote model, names, e-mail addresses, phone
// numbers, street addresses, URLs and dates of birth are replaced by placeholders. Only the kinds and
// counts are recorded (the provenance), never the values.

import { nlp, readable } from './nlp.ts';
import type { Provider } from './types.ts';

export type RedactionKind = 'name' | 'email' | 'phone' | 'address' | 'url' | 'date_of_birth';

export interface Redacted {
  text: string;
  counts: Partial<Record<RedactionKind, number>>;
}

const PHONE =
  /(?<![\w/.-])(?:(?:\+\d{1,3}[\s.-]?)?\(\d{1,4}\)[\s.-]?\d{2,4}(?:[\s.-]\d{2,4}){1,3}|(?:\+\d{1,3}[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,4}){2,4})(?![\w/-])/g;
/(?<![\w/.-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,4}){2,4}(?![\w/-])/g;
const ADDRESS =
  /\b\d{1,5}\s+(?:[A-Z][a-zäöüß]+\s){1,3}(?:Street|St\.|Road|Rd\.|Avenue|Ave\.|Lane|Ln\.|Boulevard|Blvd\.|Drive|Dr\.|Way|Court|Place|Square|Straße|Strasse|Weg|Platz|rue)\b[^\n,]*/g;
const POSTCODE = /\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b/g;
const DOB =
  /\b(?:date of birth|d\.?o\.?b\.?|born(?: on| in)?|birthday|geboren(?: am)?|né(?:e)? le)\s*(?:[:-]\s*)?[^\n,;]{0,30}?\d{4}\b|\b(?:age|aged)\s*(?:[:-]\s*)?\d{2}\b/gi;
const NAME_LABEL = /\b(?:name|full name|candidate)\s*:\s*([A-Z][\p{L}'-]+(?:\s+[A-Z][\p{L}'-]+){0,3})/gu;

/** The candidate's name: a labelled name, or the first line when it looks like one (2–4 capitalised words). */
function namesIn(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(NAME_LABEL)) names.add(m[1]!);
  const first = (
    text
      .split('\n')
      .find((l) => l.trim())
      ?.trim() ?? ''
  ).replace(/^(lebenslauf|cv|curriculum vitae|résumé|resume)\s*(?:[—–:-]\s*)?/i, '');
  const head = first.split(/\s[—–|-]\s|,|·/)[0]!.trim();
  // the length first: the pattern backtracks without end on a long line of capitalised words ("KafkaKafka…")
  if (head.length <= 60 && /^(?:[A-Z][\p{L}'-]+\.?\s+){1,3}[A-Z][\p{L}'-]+$/u.test(head)) names.add(head);
  const out = new Set<string>();
  for (const n of names) {
    out.add(n);
    for (const part of n.split(/\s+/)) if (part.length >= 3 && /^[A-Z]/.test(part)) out.add(part);
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/** Whether what is sent to this provider is redacted first: remote models yes, unless it says otherwise. */
export function redactsFor(provider: Pick<Provider, 'redact' | 'kind'>): boolean {
  return provider.redact ?? provider.kind === 'llm';
}

export function redact(text: string): Redacted {
  const counts: Redacted['counts'] = {};
  const bump = (k: RedactionKind, n = 1) => {
    counts[k] = (counts[k] ?? 0) + n;
  };
  let out = text;
  const replace = (re: RegExp, kind: RedactionKind) => {
    out = out.replace(re, () => {
      bump(kind);
      return `[${kind.toUpperCase()}]`;
    });
  };
  // e-mails and URLs as the NLP model's entities; a run too long for the model (nlp.ts) is left to the
  // patterns below, which see it whole (an entity read from a piece of one would leave the rest of it)
  const entities = nlp().readDoc(readable(text, true)).entities().out(nlp().its.detail) as unknown as {
    value: string;
    type: string;
  }[];
  for (const e of entities) {
    if (e.type !== 'EMAIL' && e.type !== 'URL') continue;
    const value = e.value.replace(/[.,;:)]+$/, '');
    if (!value || !out.includes(value)) continue;
    const kind = e.type === 'EMAIL' ? 'email' : 'url';
    out = out.split(value).join(`[${kind.toUpperCase()}]`);
    bump(kind);
  }
  // starting only where a run of address characters starts: the same leftmost matches, and a long run
  // without an @ is scanned once rather than once from each of its characters
  replace(/(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, 'email');
  replace(/\b(?:https?:\/\/|www\.)[^\s)>\]]+|\b(?:github|gitlab|linkedin)\.com\/[^\s)>\]]+/gi, 'url');
  replace(DOB, 'date_of_birth');
  replace(ADDRESS, 'address');
  replace(POSTCODE, 'address');
  replace(PHONE, 'phone');
  for (const name of namesIn(text)) {
    const re = new RegExp(`(?<![\\p{L}])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}])`, 'gu');
    out = out.replace(re, () => {
      bump('name');
      return '[NAME]';
    });
  }
  return { text: out, counts };
}
