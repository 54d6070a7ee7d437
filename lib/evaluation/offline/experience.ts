// Years of relevant experience: from the date ranges of roles whose text shows the job's requirements,
// and from stated durations ("5 years of backend experience") in sentences about relevant work. Never
// from ages, birth dates, education, or how long ago something happened ("opened 30 years ago").
import type { Match } from './match.ts';
import type { ReadDocument } from './text.ts';

const MONTHS =
  'jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|januar|februar|märz|mai|juni|juli|okt|dez';
const RANGE = new RegExp(
  `(?:\\b(${MONTHS})[a-zä]*\\.?\\s+)?\\b((?:19|20)\\d{2})\\s*(?:[–—-]|to|bis)\\s*(?:(?:${MONTHS})[a-zä]*\\.?\\s+)?((?:19|20)\\d{2}|present|now|current|today|heute|date)\\b`,
  'i',
);
const STATED = /\b(\d{1,2})\+?\s*(?:years?|yrs?|jahre)\b(?!\s+(?:ago|old|of age))/gi;

export interface Experience {
  years: number;
  /** the sentences that gave the years */
  quotes: number[];
}

export function relevantYears(
  doc: ReadDocument,
  matches: Match[],
  required: Set<string>,
  now = new Date(),
): Experience {
  const positive = matches.filter((m) => !m.negated && required.has(m.family));
  const familiesIn = (from: number, to: number) =>
    new Set(positive.filter((m) => m.sentence >= from && m.sentence < to).map((m) => m.family));
  const intervals: [number, number][] = [];
  const quotes: number[] = [];
  const starts: { i: number; from: number; to: number }[] = [];
  doc.sentences.forEach((s, i) => {
    if (s.section === 'education') return;
    const m = RANGE.exec(s.text);
    if (!m) return;
    const month = m[1] ? monthIndex(m[1]) : 0;
    const from = Number(m[2]) + month / 12;
    const to = /^\d/.test(m[3]!)
      ? Number(m[3]) + (m[1] ? monthIndex(m[1]) / 12 : 0)
      : now.getFullYear() + now.getMonth() / 12;
    if (to > from && to - from < 50) starts.push({ i, from, to });
  });
  starts.forEach((entry, k) => {
    const next = starts[k + 1]?.i ?? doc.sentences.length;
    let end = next;
    for (let j = entry.i + 1; j < next; j++) {
      if (doc.sentences[j]!.section !== doc.sentences[entry.i]!.section) {
        end = j;
        break;
      }
    }
    // a role counts when its own lines show at least two of the job's requirement families
    if (familiesIn(entry.i, end).size >= 2) {
      intervals.push([entry.from, entry.to]);
      quotes.push(entry.i);
    }
  });
  const dated = unionLength(intervals);
  let stated = 0;
  doc.sentences.forEach((s, i) => {
    if (s.kind === 'list' || s.kind === 'heading' || s.section === 'education') return;
    if (familiesIn(i, i + 1).size === 0) return;
    for (const m of s.text.matchAll(STATED)) {
      const n = Number(m[1]);
      if (n > stated && n <= 45) {
        stated = n;
        quotes.push(i);
      }
    }
  });
  return { years: Math.max(dated, stated), quotes: [...new Set(quotes)] };
}

function monthIndex(name: string): number {
  const i = MONTHS.split('|').indexOf(name.toLowerCase().slice(0, name.length >= 4 ? 4 : 3));
  const j = i >= 0 ? i : MONTHS.split('|').indexOf(name.toLowerCase().slice(0, 3));
  return j >= 0 ? j % 12 : 0;
}

function unionLength(intervals: [number, number][]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let cur: [number, number] | undefined;
  for (const iv of sorted) {
    if (!cur || iv[0] > cur[1]) {
      if (cur) total += cur[1] - cur[0];
      cur = [...iv];
    } else cur[1] = Math.max(cur[1], iv[1]);
  }
  if (cur) total += cur[1] - cur[0];
  return total;
}
