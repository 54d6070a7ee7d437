// Years of relevant experience: from the date ranges of roles, each counted as far as its text is the
// job's work (or at least half when its title is the job's role), and from stated durations ("5 years of
// backend experience") in sentences about relevant work. Never from ages, birth dates, education, or how
// long ago something happened ("opened 30 years ago").
import { LIST_WEIGHT, sentenceWeight, termCounts } from './analysis.ts';
import { dateRangeIn } from './dates.ts';
import { words } from './family.ts';
import { isGeneric } from './field.ts';
import type { Match } from './match.ts';
import { titleStems } from './role.ts';
import type { ReadDocument, Section } from './text.ts';

/** How much a role whose only relevant lines are keyword lists counts */
const LIST_ONLY = 0.3;
/** Durations written out, as prose CVs write them ("for seven years") */
const NUMBER_WORDS = words(
  'one | two | three | four | five | six | seven | eight | nine | ten | eleven | twelve | thirteen |' +
    'fourteen | fifteen | sixteen | seventeen | eighteen | nineteen | twenty',
);
const STATED = new RegExp(
  `\\b(\\d{1,2}|${NUMBER_WORDS.join('|')})\\+?\\s*(?:years?|yrs?|jahre)\\b(?!\\s+(?:ago|old|of age))`,
  'gi',
);
const yearsOf = (n: string) => (/\d/.test(n) ? Number(n) : NUMBER_WORDS.indexOf(n.toLowerCase()) + 1);

export interface Experience {
  years: number;
  /** the sentences that gave the years */
  quotes: number[];
}

export interface Role {
  /** the sentence with the date range, and the end (exclusive) of the role's lines */
  first: number;
  end: number;
  from: number;
  to: number;
  /** on a two-column page, the role's lines are the ones of its own column between first and end */
  column?: 1;
}

/** Sections whose dates and durations can be years of work: not a degree's, a course's or a hobby's. */
const isWork = (section: Section) => section !== 'education' && section !== 'additional';

/** Whether sentence i is one of the role's lines. */
export const inRole = (doc: ReadDocument, role: Role, i: number) =>
  i >= role.first && i < role.end && doc.sentences[i]!.column === role.column;

/**
 * Dated roles outside education and the sections beside the work (volunteering, awards): a line with a
 * date range, and the lines of its section up to the next.
 */
export function rolesOf(doc: ReadDocument, now = new Date()): Role[] {
  const starts: { i: number; from: number; to: number }[] = [];
  doc.sentences.forEach((s, i) => {
    if (!isWork(s.section)) return;
    const range = dateRangeIn(s.text, now);
    if (!range) return;
    const { from, to } = range;
    if (to > from && to - from < 50) starts.push({ i, from, to });
  });
  return starts.map((entry, k) => {
    const column = doc.sentences[entry.i]!.column;
    const next = starts.slice(k + 1).find((s) => doc.sentences[s.i]!.column === column)?.i;
    let end = next ?? doc.sentences.length;
    for (let j = entry.i + 1; j < end; j++) {
      // the other column of a two-column page runs beside the role's lines, not after them
      if (doc.sentences[j]!.column !== column) continue;
      if (doc.sentences[j]!.section !== doc.sentences[entry.i]!.section) {
        end = j;
        break;
      }
    }
    return { first: entry.i, end, from: entry.from, to: entry.to, ...(column ? { column } : {}) };
  });
}

export function relevantYears(
  doc: ReadDocument,
  matches: Match[],
  required: Set<string>,
  roles: Role[] = rolesOf(doc),
  /** every vocabulary match of the CV: what else each role's work was about */
  all: Match[] = matches,
  /** the job's own role word, stemmed ("analyst", "nurs"): a role with that title counts at least half */
  jobRole?: string,
  /** the families the description names with its years ("2+ years of ICU experience"): a role needs one */
  forYears: Set<string> = new Set(),
): Experience {
  const positive = matches.filter((m) => !m.negated && required.has(m.family));
  const familiesIn = (from: number, to: number) =>
    new Set(positive.filter((m) => m.sentence >= from && m.sentence < to).map((m) => m.family));
  const every = [...all, ...matches];
  const intervals: [number, number, number][] = [];
  const quotes: number[] = [];
  // a keyword list under a role ("Keywords: SQL, Python, Tableau" in a barista's job) says little of
  // the work done in it: a role's relevance comes from its other lines, and from its lists only at a
  // fraction when they are all it has (found from outside: such a line made 6.9 years of analyst work)
  const counts = termCounts(doc, all);
  const listed = (i: number) => sentenceWeight(doc.sentences[i]!, counts[i]!) <= LIST_WEIGHT;
  const described = every.filter((m) => !listed(m.sentence));
  const roleRelevance = (role: Role) => {
    const of = (ms: Match[]) => ms.filter((m) => inRole(doc, role, m.sentence));
    return (
      relevance(of(described), required, role.first, role.end, forYears) ||
      LIST_ONLY * relevance(of(every), required, role.first, role.end, forYears)
    );
  };
  for (const role of roles) {
    const weight = Math.max(
      roleRelevance(role),
      jobRole && titleStems(doc.sentences[role.first]!.text).includes(jobRole) ? 0.5 : 0,
    );
    if (weight === 0) continue;
    intervals.push([role.from, role.to, weight]);
    if (weight >= 0.5) quotes.push(role.first);
  }
  const dated = weightedUnion(intervals);
  // a stated duration counts as far as its sentence is about the job's work, like a role
  let stated = 0;
  doc.sentences.forEach((s, i) => {
    if (s.kind === 'list' || s.kind === 'heading' || !isWork(s.section)) return;
    if (familiesIn(i, i + 1).size === 0) return;
    const weight = relevance(every, required, i, i + 1, forYears);
    for (const m of s.text.matchAll(STATED)) {
      const n = yearsOf(m[1]!);
      if (n * weight > stated && n <= 45) {
        stated = n * weight;
        quotes.push(i);
      }
    }
  });
  return { years: Math.max(dated, stated), quotes: [...new Set(quotes)] };
}

/**
 * How much of a role (sentences from..to) was the job's work, 0..1: full when at least half of the specific
 * subjects its lines show are the job's requirements (a phrase that is one of them counts as it), else
 * their share; and only half with a single requirement. A backend role that also ran Docker is a little
 * of a platform role; a role of Docker, Terraform and on-call is one, as is a backend role that mentions a
 * dashboard once. Where the description says what its years are of ("2+ years of ICU experience"), a role
 * without that is not relevant experience.
 */
function relevance(
  matches: Match[],
  required: Set<string>,
  from: number,
  to: number,
  forYears: Set<string>,
): number {
  const spans = new Map<string, Match[]>();
  for (const m of matches) {
    if (m.negated || m.sentence < from || m.sentence >= to || isGeneric(m.family)) continue;
    const key = `${m.start}:${m.end}`;
    const list = spans.get(key);
    if (list) list.push(m);
    else spans.set(key, [m]);
  }
  const req = new Set<string>();
  const any = new Set<string>();
  for (const shared of spans.values()) {
    const hits = shared.filter((m) => required.has(m.family));
    for (const m of hits) req.add(m.family);
    for (const m of hits.length ? hits : shared.slice(0, 1)) any.add(m.family);
  }
  if (req.size === 0 || (forYears.size && ![...req].some((f) => forYears.has(f)))) return 0;
  return (req.size * 2 >= any.size ? 1 : req.size / any.size) * Math.min(1, req.size / 2);
}

/** Length of the union of weighted intervals, each stretch counted at the highest weight covering it. */
function weightedUnion(intervals: [number, number, number][]): number {
  const cuts = [...new Set([...intervals.map(([a]) => a), ...intervals.map(([, b]) => b)])].sort(
    (x, y) => x - y,
  );
  let total = 0;
  for (let k = 0; k + 1 < cuts.length; k++) {
    const [a, b] = [cuts[k]!, cuts[k + 1]!];
    const w = Math.max(0, ...intervals.filter(([x, y]) => x <= a && y >= b).map(([, , w]) => w));
    total += (b - a) * w;
  }
  return total;
}
