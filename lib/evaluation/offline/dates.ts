// The date range of a role line, in the forms CVs write them: "Mar 2019 – Nov 2022", "03/2019 - 05/2021",
// "2019/03 – 2022/11", "Jun '19 – Aug '22", "2016–19", "2018 – present", "since 2021". Years as fractions
// (2019.25 is April 2019); an end month counts whole, so "Jan 2020 – Dec 2020" is one year.

/** Month names and their abbreviations, English and German, with the month each one means (0–11). */
const MONTH_NAMES: [string, number][] = [
  ['jan', 0],
  ['januar', 0],
  ['feb', 1],
  ['februar', 1],
  ['mar', 2],
  ['märz', 2],
  ['apr', 3],
  ['may', 4],
  ['mai', 4],
  ['jun', 5],
  ['juni', 5],
  ['jul', 6],
  ['juli', 6],
  ['aug', 7],
  ['sep', 8],
  ['sept', 8],
  ['oct', 9],
  ['okt', 9],
  ['nov', 10],
  ['dec', 11],
  ['dez', 11],
];
const MONTH = `(?:${MONTH_NAMES.map(([n]) => n)
  .sort((a, b) => b.length - a.length)
  .join('|')})[a-zä]*\\.?`;
const YEAR = '(?:19|20)\\d{2}';
const NOW = "present|now|current(?:ly)?|today|heute|jetzt|date|ongoing|actualidad|aujourd'hui|heden";

/** One point in time, in any of the forms; its groups are read by `pointOf`. */
const POINT =
  `(?:\\b(${MONTH})\\s*(?:(${YEAR})|['’](\\d{2}))\\b` + // Mar 2019, Mar. 2019, Jun '19
  `|\\b(0?[1-9]|1[0-2])[/.](${YEAR})\\b` + // 03/2019, 3.2019
  `|\\b(${YEAR})[/.-](0[1-9]|1[0-2])\\b(?![/.-]?\\d)` + // 2019/03, 2019-03
  `|\\b(${YEAR})\\b)`; // 2019
const SEPARATOR = '\\s*(?:[–—-]+|to|bis|until|till|→|~)\\s*';
// the start's groups are 1–8, the end's 9–16, a two-digit end year 17 ("2016–19"), "present" 18
const RANGE = new RegExp(`${POINT}${SEPARATOR}(?:${POINT}|(\\d{2})\\b(?![/.-]?\\d)|(${NOW})\\b)`, 'i');
const SINCE = new RegExp(`\\b(?:since|seit|depuis|desde)\\s+${POINT}`, 'i');
const POINT_ALONE = new RegExp(POINT, 'i');

function monthOf(name: string): number {
  const n = name.toLowerCase().replace(/\.$/, '');
  let best: [string, number] | undefined;
  for (const entry of MONTH_NAMES)
    if (n.startsWith(entry[0]) && (!best || entry[0].length > best[0].length)) best = entry;
  return best?.[1] ?? 0;
}

interface Point {
  year: number;
  month: number | undefined;
  /** the year as written had four digits and no month: "2016" of "2016–19" */
  bareYear: boolean;
}

/** The point a POINT match (its eight groups, from `at`) describes. */
function pointOf(g: (string | undefined)[], at: number): Point | undefined {
  const [name, year, shortYear, mm, yearOfMm, yearMm, mmOfYear, year4] = g.slice(at, at + 8);
  if (name) {
    const y = year ? Number(year) : 2000 + Number(shortYear);
    return { year: y > new Date().getFullYear() + 1 ? y - 100 : y, month: monthOf(name), bareYear: false };
  }
  if (mm) return { year: Number(yearOfMm), month: Number(mm) - 1, bareYear: false };
  if (yearMm) return { year: Number(yearMm), month: Number(mmOfYear) - 1, bareYear: false };
  if (year4) return { year: Number(year4), month: undefined, bareYear: true };
  return undefined;
}

const fraction = (year: number, month: number) => year + month / 12;

export interface DateRange {
  from: number;
  to: number;
}

/** The first date range a line states, or undefined; `now` for "present" and "since". */
export function dateRangeIn(text: string, now: Date): DateRange | undefined {
  const current = fraction(now.getFullYear(), now.getMonth());
  const m = RANGE.exec(text);
  if (m) {
    const start = pointOf([...m], 1);
    if (!start) return undefined;
    const startMonth = start.month ?? 0;
    const from = fraction(start.year, startMonth);
    const end = pointOf([...m], 9);
    const shortEnd = m[17];
    let to: number;
    if (end) {
      // a year alone ends where the start's month falls in it; a month counts whole
      to = end.month === undefined ? fraction(end.year, startMonth) : fraction(end.year, end.month + 1);
    } else if (shortEnd) {
      if (!start.bareYear) return undefined;
      let y = Math.floor(start.year / 100) * 100 + Number(shortEnd);
      if (y < start.year) y += 100;
      to = fraction(y, startMonth);
    } else to = current;
    return { from, to };
  }
  const s = SINCE.exec(text);
  if (s) {
    const start = pointOf([...s], 1);
    if (start) return { from: fraction(start.year, start.month ?? 0), to: current };
  }
  return undefined;
}

/** Whether a text holds a point in time at all (a year, a month and year). */
export const hasDate = (text: string) => POINT_ALONE.test(text);
