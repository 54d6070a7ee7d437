// Finds vocabulary terms in a read document, sentence by sentence, and whether each sits under a negation;
// derives a job description's (or brief's) requirements from them.
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

/** A found term as the vocabulary spells it: lower case, one space between its words. */
const spelled = (found: string) => found.toLowerCase().replace(/\s+/g, ' ');
const bounded = (terms: string[], flags: string) =>
  new RegExp(`(?<![\\p{L}\\p{N}_])(?:${trieSource(terms)})(?![\\p{L}\\p{N}_]|\\.[\\p{L}])`, flags);

interface TrieNode {
  end: boolean;
  next: Map<string, TrieNode>;
}

/**
 * The terms as one pattern shaped like a trie: `data (?:engineer|warehouse)s?`, not a list of every term.
 * A list makes the engine try each term at each position of the text, so its cost grew with the
 * vocabulary (with the design and sales fields and the terms' plurals, evaluate spent 5.13 ms of CPU a
 * job in bench:pipeline, against 4.51 before them); the trie tries only what continues the text's next
 * character. It matches what the list, longest first, matched: where several terms start at one place they are prefixes of each other,
 * and the trie's greedy optional groups try the longer first too (term-trie.test.ts compares the two).
 * The words of a term may be apart by any spaces of one line: PDF text has double and no-break spaces.
 */
export function trieSource(terms: Iterable<string>): string {
  const root: TrieNode = { end: false, next: new Map() };
  for (const term of terms) {
    let node = root;
    for (const ch of term) {
      let child = node.next.get(ch);
      if (!child) {
        child = { end: false, next: new Map() };
        node.next.set(ch, child);
      }
      node = child;
    }
    node.end = true;
  }
  const piece = (ch: string) => (ch === ' ' ? '[^\\S\\r\\n]+' : ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  const source = (node: TrieNode): string => {
    const alternatives = [...node.next].map(([ch, child]) => piece(ch) + source(child));
    if (alternatives.length === 0) return '';
    const group = alternatives.length === 1 ? alternatives[0]! : `(?:${alternatives.join('|')})`;
    if (!node.end) return group;
    return alternatives.length === 1 ? `(?:${group})?` : `${group}?`;
  };
  return source(root);
}

/** All terms of a set of families in one pattern (longest first), and which families each term names. */
interface TermIndex {
  any: RegExp;
  exact: RegExp | undefined;
  byTerm: Map<string, string[]>;
  byExact: Map<string, string[]>;
  /** the other number of the multi-word terms → the term ("star schemas" → "star schema") */
  numbered: Map<string, string>;
}

/**
 * The other number of a multi-word term's last word: "design system" ↔ "design systems", "data warehouse"
 * ↔ "data warehouses", "data engineers" ↔ "data engineer"; a job description and a CV use either. One
 * word is left as the vocabulary spells it: a single word's other number can be another sense ("tests"
 * and the verb "test").
 */
export function otherNumberOf(term: string): string | undefined {
  if (!term.includes(' ')) return undefined;
  const last = term.slice(term.lastIndexOf(' ') + 1);
  if (!/^[a-z][a-z-]*[a-z]$/.test(last)) return undefined;
  // "analysis", "business", "status": an -s that is no plural
  if (/(?:ss|is|us)$/.test(last)) return undefined;
  if (/[^aeiou]ies$/.test(last)) return `${term.slice(0, -3)}y`;
  if (/(?:x|z|ch|sh)es$/.test(last)) return term.slice(0, -2);
  if (/s$/.test(last)) return term.slice(0, -1);
  if (/(?:x|z|ch|sh)$/.test(last)) return `${term}es`;
  if (/[^aeiou]y$/.test(last)) return `${term.slice(0, -1)}ies`;
  return `${term}s`;
}

const indexes = new WeakMap<Family[], TermIndex>();

function indexOf(families: Family[]): TermIndex {
  let ix = indexes.get(families);
  if (!ix) {
    const byTerm = new Map<string, string[]>();
    const byExact = new Map<string, string[]>();
    const add = (map: Map<string, string[]>, term: string, id: string) => {
      const ids = map.get(term) ?? [];
      if (!ids.includes(id)) ids.push(id);
      map.set(term, ids);
    };
    for (const f of families) {
      for (const t of f.terms) add(byTerm, t.toLowerCase(), f.id);
      for (const t of f.exact ?? []) add(byExact, t, f.id);
    }
    // the other number is read as the term, unless the vocabulary spells it as a term itself
    const numbered = new Map<string, string>();
    for (const t of byTerm.keys()) {
      const other = otherNumberOf(t);
      if (other && !byTerm.has(other)) numbered.set(other, t);
    }
    ix = {
      any: bounded([...byTerm.keys(), ...numbered.keys()], 'giu'),
      exact: byExact.size ? bounded([...byExact.keys()], 'gu') : undefined,
      byTerm,
      byExact,
      numbered,
    };
    indexes.set(families, ix);
  }
  return ix;
}

const termRegexes = new Map<string[], RegExp>();

/**
 * Terms of a fixed list found in a text (the list's regex is compiled once). It is run with exec from
 * lastIndex 0, as matchAll would, but without the copy of the regex matchAll makes per call: this runs
 * for every sentence of every document.
 */
export function termsIn(text: string, terms: string[]): { term: string; index: number }[] {
  if (terms.length === 0) return [];
  let re = termRegexes.get(terms);
  if (!re) {
    re = bounded(terms, 'giu');
    termRegexes.set(terms, re);
  }
  const out: { term: string; index: number }[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({ term: spelled(m[0]), index: m.index });
    // an empty match (an empty term) moves on one code point, as matchAll does
    if (!m[0]) re.lastIndex = m.index + ((text.codePointAt(m.index) ?? 0) > 0xffff ? 2 : 1);
  }
  return out;
}

/** The sentence holding a character offset (sentences are in order and do not overlap). */
function sentenceAt(sentences: Sentence[], at: number): number {
  let lo = 0;
  let hi = sentences.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = sentences[mid]!;
    if (at < s.start) hi = mid - 1;
    else if (at >= s.end) lo = mid + 1;
    else return mid;
  }
  return -1;
}

export function findMatches(doc: ReadDocument, families: Family[] = FAMILIES): Match[] {
  const out: Match[] = [];
  const seen = new Set<string>();
  const ix = indexOf(families);
  // one pass of all the terms over the whole text (the longest term wins where several start), then each
  // hit placed in its sentence and given to every family that has the term
  const pass = (re: RegExp | undefined, termOf: (t: string) => string, map: Map<string, string[]>) => {
    if (!re) return;
    for (const m of doc.text.matchAll(re)) {
      const start = m.index;
      const end = start + m[0].length;
      const i = sentenceAt(doc.sentences, start);
      if (i < 0 || end > doc.sentences[i]!.end) continue;
      const negated = doc.sentences[i]!.negated.some(([a, b]) => start < b && end > a);
      const term = termOf(m[0]);
      for (const family of map.get(term) ?? []) {
        const key = `${family}:${start}:${end}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ family, term, start, end, negated, sentence: i });
      }
    }
  };
  // the other number is recorded as the term: the description's "star schema" is met by "star schemas"
  pass(ix.any, (t) => ix.numbered.get(spelled(t)) ?? spelled(t), ix.byTerm);
  pass(ix.exact, (t) => t.replace(/\s+/g, ' '), ix.byExact);
  return longestOnly(
    out.sort((a, b) => a.start - b.start || b.end - a.end || a.family.localeCompare(b.family)),
  );
}

/**
 * Drops every match that lies inside a longer one: "Power BI" is a BI tool, not statistical power; "A/B
 * tests" are experiments, not software tests; "SQL queries" is analysis. Equal spans all stay (the
 * reader of the job description decides between them). Expects matches sorted by start, longest first.
 */
function longestOnly(sorted: Match[]): Match[] {
  const kept: Match[] = [];
  let reach = -1; // furthest end of the matches that start before the current one
  let groupStart = -1;
  let groupEnd = -1; // longest end among the matches that start where the current one does
  for (const m of sorted) {
    if (m.start !== groupStart) {
      reach = Math.max(reach, groupEnd);
      groupStart = m.start;
      groupEnd = m.end;
    }
    if (reach >= m.end || groupEnd > m.end) continue;
    kept.push(m);
  }
  return kept;
}

export interface Requirement {
  family: string;
  label: string;
  weight: number;
  /** the terms the description itself used: exact matches earn full credit, siblings most of it */
  named: Set<string>;
  /** a tool or product the description names that the vocabulary does not know ("SSIS", "Argo CD") */
  name?: Family;
  /** named in the description's title ("Critical Care Registered Nurse (ICU)"): what the role is */
  title?: boolean;
  /** named where the description states the years it wants ("2+ years of ICU experience") */
  years?: boolean;
}

/** A vendor's name before its product ("Apache Kafka", "Google BigQuery", "AWS Lambda", "Microsoft Excel") */
const VENDOR = /^(?:apache|google|aws|amazon|microsoft|azure)(?:\s+|$)/i;

const YEARS = /\b\d{1,2}\s*(?:\+\s*)?(?:years?|yrs?)\b/i;

/** A description's named tools outside the vocabulary count as half a requirement each: the reader
 * cannot tell how central an unknown name is, and a CV meets it only by naming it. */
const NAME_WEIGHT = 0.5;

const namesOf = new WeakMap<Requirement[], Family[]>();

/** Vocabulary matches of a document, and the matches of the requirements' own names. */
export function matchesFor(
  doc: ReadDocument,
  requirements: Requirement[],
): { all: Match[]; wanted: Match[] } {
  const all = findMatches(doc);
  const ids = new Set(requirements.map((r) => r.family));
  let names = namesOf.get(requirements);
  if (!names) {
    names = requirements.flatMap((r) => (r.name ? [r.name] : []));
    namesOf.set(requirements, names);
  }
  const wanted = all.filter((m) => ids.has(m.family));
  if (names.length) wanted.push(...findMatches(doc, names));
  return { all, wanted: wanted.sort((a, b) => a.start - b.start) };
}

const OPTIONAL = /\b(plus|preferred|nice to have|bonus|ideally|advantage|desirable)\b/i;

const derived = new Map<string, Requirement[]>();

/** Requirements of a job description or brief, remembered for the few texts a service sees over and over. */
export function requirementsOf(text: string, read: (t: string) => ReadDocument): Requirement[] {
  let r = derived.get(text);
  if (!r) {
    r = deriveRequirements(read(text));
    if (derived.size >= 64) derived.delete(derived.keys().next().value!);
    derived.set(text, r);
  }
  return r;
}

/**
 * Requirements derived from a job description or a brief: every vocabulary family it names, one family
 * per phrase. A phrase several families share ("SQL", "Python", "regression") means what the rest of the
 * text is about: the family of the text's main field, then the one the text names with more terms. A
 * family of another field needs two terms of its own or a second family of that field beside it.
 */
export function deriveRequirements(doc: ReadDocument): Requirement[] {
  const matches = findMatches(doc);
  const byId = new Map(FAMILIES.map((f) => [f.id, f]));
  const spans = new Map<string, Match[]>();
  for (const m of matches) {
    const key = `${m.start}:${m.end}`;
    const list = spans.get(key);
    if (list) list.push(m);
    else spans.set(key, [m]);
  }
  const field = mainField(
    [...spans.values()].filter((s) => s.length === 1).map((s) => byId.get(s[0]!.family)!),
  );
  const support = new Map<string, Set<string>>();
  for (const m of matches) support.set(m.family, (support.get(m.family) ?? new Set()).add(m.term));
  const byFamily = new Map<string, Requirement>();
  // a short first line without a full stop is the title ("# Critical Care Registered Nurse (ICU)")
  const first = doc.sentences[0];
  const titled = first !== undefined && first.words <= 12 && !/[.!?]\s*$/.test(first.text);
  for (const shared of spans.values()) {
    for (const m of senseOf(shared, field, byId, support)) {
      const family = byId.get(m.family)!;
      const weight = (OPTIONAL.test(doc.sentences[m.sentence]!.text) ? 0.5 : 1) * (family.generic ? 0.4 : 1);
      const r = byFamily.get(m.family) ?? { family: m.family, label: family.label, weight, named: new Set() };
      r.weight = Math.max(r.weight, weight);
      r.named.add(m.term);
      if (m.sentence === 0 && titled) r.title = true;
      if (YEARS.test(doc.sentences[m.sentence]!.text)) r.years = true;
      byFamily.set(m.family, r);
    }
  }
  // one word of a field the text otherwise never touches is a different sense, not a requirement ("Model
  // data in PostgreSQL"); a second field with two families or more is real (an ML job asks for CI/CD)
  const perField = new Map<string, number>();
  for (const r of byFamily.values()) {
    const f = byId.get(r.family)!;
    if (f.field && !f.generic) perField.set(f.field, (perField.get(f.field) ?? 0) + 1);
  }
  const requirements = [...byFamily.values()].filter((r) => {
    const f = byId.get(r.family)!;
    return f.generic || !f.field || f.field === field || r.named.size >= 2 || perField.get(f.field)! >= 2;
  });
  const covered = (a: number, b: number) => matches.some((m) => m.start <= a && m.end >= b);
  const startsTerm = (at: number) => {
    const next = at + (/^\s*/.exec(doc.text.slice(at, at + 8))?.[0].length ?? 0);
    return matches.some((m) => m.start === next);
  };
  for (const [a, end] of doc.names) {
    // a bullet's full stop is not part of the name ("Python or R." names R)
    const b = doc.text[end - 1] === '.' ? end - 1 : end;
    if (b <= a) continue;
    // the tail of a hyphenated word is no name of its own: "an Idempotency-Key header" named "Key", which
    // a report then 'missed' (found from outside: "Missing or stated as not done: … Key")
    if (doc.text[a - 1] === '-' && /[\p{L}\p{N}]/u.test(doc.text[a - 2] ?? '')) continue;
    // a vendor before a known term is no name of its own: "Apache Airflow" is the vocabulary's Airflow,
    // and "Apache" read alone before "Spark" names nothing; before an unknown tool ("AWS Glue") it stays
    const rest = a + (VENDOR.exec(doc.text.slice(a, b))?.[0].length ?? 0);
    if (rest > a && (rest >= b ? startsTerm(b) : covered(rest, b))) continue;
    const term = doc.text.slice(a, b).toLowerCase();
    const id = `name:${term}`;
    if (covered(a, b) || byFamily.has(id)) continue;
    const label = doc.text.slice(a, b);
    const sentence = doc.sentences.find((s) => s.start <= a && s.end >= b)?.text ?? '';
    const r: Requirement = {
      family: id,
      label,
      weight: (OPTIONAL.test(sentence) ? 0.5 : 1) * NAME_WEIGHT,
      named: new Set([term]),
      // and its plural: a report about "CVs" shows the brief's "CV"
      name: { id, label, terms: [term, `${term}s`], ...(field ? { field } : {}) },
      ...(YEARS.test(sentence) ? { years: true } : {}),
    };
    byFamily.set(id, r);
    requirements.push(r);
  }
  return requirements;
}

/** The field most of a text's specific (non-generic) terms belong to. */
export function mainField(families: Family[]): string | undefined {
  const votes = new Map<string, number>();
  for (const f of families) if (f.field && !f.generic) votes.set(f.field, (votes.get(f.field) ?? 0) + 1);
  let best: string | undefined;
  for (const [f, n] of votes) if (best === undefined || n > votes.get(best)!) best = f;
  return best;
}

/** The matches of one phrase that keep it: in the text's field if any is, then the best supported. */
function senseOf(
  shared: Match[],
  field: string | undefined,
  byId: Map<string, Family>,
  support: Map<string, Set<string>>,
): Match[] {
  if (shared.length === 1) return shared;
  const inField = shared.filter((m) => byId.get(m.family)!.field === field);
  const pool = inField.length ? inField : shared;
  const most = Math.max(...pool.map((m) => support.get(m.family)!.size));
  return pool.filter((m) => support.get(m.family)!.size === most);
}

/** Stated years of required experience ("3+ years of …"); 2 when the description names none. */
export function requiredYears(text: string): number {
  const m = /(\d{1,2})\s*(?:\+\s*)?(?:years?|yrs?)\b/i.exec(text);
  return m ? Math.max(1, Number(m[1])) : 2;
}
