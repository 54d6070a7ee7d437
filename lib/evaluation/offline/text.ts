// Reads a document the way a recruiter skims it: line by line, knowing the section (skills, experience,
// education…), splitting lines into sentences with wink-nlp, and marking which words sit under a
// negation ("no tests", "did not use Docker"). Every sentence keeps its character offsets into the
// original text, so evidence quotes are verbatim.

import { MAX_QUOTE_CHARS } from '../evidence.ts';
import { readable, reader } from '../nlp.ts';
import { negatedSpans, type Tokens } from './negation.ts';
import { labelSectionOf, type Section, sectionOf } from './sections.ts';

export type { Section };
export type SentenceKind = 'experience' | 'prose' | 'list' | 'heading';

export interface Sentence {
  text: string;
  start: number;
  end: number;
  section: Section;
  kind: SentenceKind;
  /** character ranges (absolute) of words under a negation */
  negated: [number, number][];
  hasVerb: boolean;
  words: number;
  /** 1 for the right-hand column of a two-column page extracted line by line (see `columnAt`) */
  column?: 1;
}

const NEGATION_CUE =
  /\b(no|not|never|without|nothing|none|neither|nor|cannot|didn't|don't|doesn't|wasn't|isn't|haven't|hasn't)\b/i;

/** "Skills: a, b, c" — a labelled line whose value is a list. */
// whitespace after a bullet only: \s*[-•*]?\s* backtracked quadratically over a line of 100,000 tabs
const LABELLED = /^\s*(?:[-•*]\s*)?([A-Za-zÄÖÜäöüéè]{2,20}(?: [A-Za-zÄÖÜäöüéè]{2,20}){0,2}):\s+(.*)$/;

export interface ReadDocument {
  text: string;
  sentences: Sentence[];
  /** share of words that are common English function words (low → another language) */
  englishShare: number;
  /** proper names on bullet lines (tools, products: "Terraform", "Power Query"), as character ranges */
  names: [number, number][];
  /** content words (nouns, names, adjectives; no stop words) as lemmas with their offsets, when asked for */
  content?: { lemma: string; start: number; end: number }[];
}

interface Line {
  start: number;
  end: number;
  section: Section;
  labelled: boolean;
  /** where the label's value starts, from the line's start (0 when the line has no label) */
  labelEnd: number;
  labelSection: Section | undefined;
  /** a heading line only ("Experience"): no content of its own */
  skip: boolean;
  column?: 1;
}

/**
 * Where a column's text starts after a gap of spaces: a line's inner gaps, or an indent that deep. Tried
 * only where a run of spaces starts: from every space of a long trailing run it was quadratic.
 */
const GAP = /(?<! ) {3,}(?=\S)/g;
const MIN_LEFT_WIDTH = 20;

/**
 * The character column where a right-hand column starts, when a two-column page (a sidebar of skills
 * beside the experience) was extracted line by line: each line then holds a piece of both columns, and
 * "EXPERIENCE          SKILLS" is no heading. Found as the position most lines have text at after a
 * gap, on at least 4 lines and 30% of them; a table's few aligned rows are not a layout.
 */
function columnAt(raw: string[]): number | undefined {
  const votes = new Map<number, number>();
  let lines = 0;
  for (const line of raw) {
    if (!line.trim()) continue;
    lines += 1;
    for (const m of line.matchAll(GAP)) {
      const at = m.index + m[0].length;
      if (at >= MIN_LEFT_WIDTH) votes.set(at, (votes.get(at) ?? 0) + 1);
    }
  }
  let best: number | undefined;
  for (const [at, n] of votes) if (best === undefined || n > votes.get(best)!) best = at;
  return best !== undefined && votes.get(best)! >= 4 && votes.get(best)! >= lines * 0.3 ? best : undefined;
}

/**
 * Lines with the section each one is in; a heading line changes the section for the lines after it. On a
 * two-column page each column is read as its own lines, with its own headings.
 */
function linesOf(text: string): Line[] {
  const lines: Line[] = [];
  const sections: Section[] = ['other', 'other'];
  const raw = text.split('\n');
  const at = raw.length >= 4 ? columnAt(raw) : undefined;
  const add = (line: string, start: number, column: 0 | 1) => {
    const heading = line.trim() ? sectionOf(line) : undefined;
    const labelled = LABELLED.exec(line);
    let skip = !line.trim();
    if (heading && (!labelled || sectionOf(labelled[1]!) === heading)) {
      sections[column] = heading;
      if (!labelled || !labelled[2]!.trim()) skip = true;
    }
    const labelSection = labelled ? labelSectionOf(labelled[1]!) : undefined;
    const section = sections[column]!;
    const l: Line = {
      start,
      end: start + line.length,
      section,
      labelled: Boolean(labelled),
      labelEnd: labelled ? line.length - labelled[2]!.length : 0,
      labelSection,
      skip,
    };
    lines.push(column ? { ...l, column } : l);
  };
  let offset = 0;
  for (const line of raw) {
    const start = offset;
    offset += line.length + 1;
    const split = at !== undefined && /\S/.test(line[at] ?? '') && line.slice(at - 2, at) === '  ';
    if (!split) add(line, start, 0);
    else if (!line.slice(0, at).trim()) add(line.slice(at), start + at, 1);
    else {
      add(line.slice(0, at).trimEnd(), start, 0);
      add(line.slice(at), start + at, 1);
    }
  }
  return lines;
}

function lineAt(lines: Line[], at: number): number {
  let lo = 0;
  let hi = lines.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lines[mid]!.start <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function readDocument(text: string, exclude: [number, number][] = [], lemmas = false): ReadDocument {
  const sentences: Sentence[] = [];
  const lines = linesOf(text);
  // one pass of the NLP pipeline over the whole document; sentences are then cut at line ends
  const its = reader().its;
  // the model reads long runs without whitespace in pieces (nlp.ts); same length, so the same offsets
  const modelText = readable(text);
  const doc = reader().readDoc(modelText);
  const tokens = doc.tokens();
  const values = tokens.out(its.value) as string[];
  const spaces = tokens.out(its.precedingSpaces) as string[];
  const pos = tokens.out(its.pos) as string[];

  const isStop = tokens.out(its.stopWordFlag) as boolean[];
  const types = tokens.out(its.type) as string[];
  // absolute character offsets of each token, rebuilt from the token values and the spaces before them
  const starts: number[] = [];
  let cursor = 0;
  for (let i = 0; i < values.length; i++) {
    cursor += spaces[i]!.length;
    // the token a few characters on at most (wink drops some characters); a search to the end of the
    // text for a token it changed would make a long document's read quadratic
    let at = cursor;
    for (let k = 0; k < 8; k++) {
      if (modelText.startsWith(values[i]!, cursor + k)) {
        at = cursor + k;
        break;
      }
    }
    starts.push(at);
    cursor = at + values[i]!.length;
  }
  let lowered: Tokens | undefined;
  const lowerTokens = () => (lowered ??= { lower: values.map((v) => v.toLowerCase()), pos });
  // the line of each token, looked up once: the passes below ask it of every token, some several times
  const tokenLine = starts.map((at) => lineAt(lines, at));
  const lineOf = (i: number) => tokenLine[i]!;
  const spans: [number, number][] = [];
  doc.sentences().each((s: { out: (f: unknown) => unknown }) => {
    const [first, last] = s.out(its.span) as unknown as [number, number];
    // cut at line ends: a CV's lines are its units even without full stops
    let from = first;
    for (let i = first + 1; i <= last + 1; i++) {
      if (i <= last && lineOf(i) === lineOf(from)) continue;
      // drop the line-break tokens at either end of the piece
      let a = from;
      let b = i - 1;
      while (a <= b && !values[a]!.trim()) a++;
      while (b >= a && !values[b]!.trim()) b--;
      from = i;
      if (a > b) continue;
      const prev = spans.at(-1);
      // wink splits "Node.js" after the dot; pieces of one line with no space between are one sentence
      if (prev && lineOf(prev[1]) === lineOf(a) && starts[a] === starts[prev[1]]! + values[prev[1]]!.length)
        prev[1] = b;
      else spans.push([a, b]);
    }
  });
  for (const [first, last] of spans.flatMap((span) => fitting(span, starts, values))) {
    const line = lines[lineOf(first)]!;
    // work still to do (a report's "Future work") is not evidence of what was done, for or against
    if (line.skip || (line.labelSection ?? line.section) === 'future') continue;
    const start = starts[first]!;
    const end = starts[last]! + values[last]!.length;
    if (exclude.some(([a, b]) => start < b && end > a)) continue;
    let verb = false;
    let n = 0;
    for (let i = first; i <= last; i++) {
      if (types[i] === 'word') n += 1;
      if (pos[i] === 'VERB') verb = true;
    }
    const sText = text.slice(start, end);
    // what each negation cue covers (negation.ts); a sentence without a cue needs no look
    const negated: [number, number][] = NEGATION_CUE.test(sText)
      ? negatedSpans(lowerTokens(), first, last).map(([a, b]) => [starts[a]!, starts[b]! + values[b]!.length])
      : [];
    const commas = (sText.match(/[,;·|]/g) ?? []).length;
    const sec = line.labelSection ?? line.section;
    // "Tools: Jira, Confluence, Git" is a list; "Quality: the code is typed, tested in CI, and linted" is
    // prose that happens to follow a label, and so is every later sentence of a labelled line: found from
    // outside, the README's own sample report ("Quality: … unit and integration tests run in CI, and
    // linted.") was told "Missing or stated as not done: automated testing", and a CV's "Collaboration:
    // mentored three junior engineers, wrote …, worked closely with …" counted 0 examples of working
    // with others
    const labelList =
      line.labelled && start < line.start + line.labelEnd && commas >= 2 && (!verb || commas * 3 >= n);
    let kind: SentenceKind;
    if (sec === 'skills' || sec === 'certifications' || labelList) kind = 'list';
    else if (commas >= 4 && commas * 3 >= n) kind = 'list';
    else if (!verb && n <= 8 && sec !== 'experience') kind = 'heading';
    else if (!verb && commas * 2 >= n - 2 && commas >= 3) kind = 'list';
    else if (sec === 'experience') kind = 'experience';
    else kind = 'prose';
    const sentence: Sentence = {
      text: sText,
      start,
      end,
      section: sec,
      kind,
      negated,
      hasVerb: verb,
      words: n,
    };
    sentences.push(line.column ? { ...sentence, column: line.column } : sentence);
  }
  const words = types.filter((t) => t === 'word').length;
  const stop = isStop.filter((x, i) => x && types[i] === 'word').length;
  const read: ReadDocument = { text, sentences, englishShare: words ? stop / words : 1, names: [] };
  // runs of proper nouns on bullet lines, not a line's first word (a capitalised verb or adjective there)
  // words in excluded ranges (suspected instructions) are not read at all
  const excluded = (i: number) =>
    exclude.some(([a, b]) => starts[i]! < b && starts[i]! + values[i]!.length > a);
  const bullet: (boolean | undefined)[] = [];
  const isBullet = (l: number) => (bullet[l] ??= BULLET.test(text.slice(lines[l]!.start, lines[l]!.end)));
  let firstOfLine = -1;
  for (let i = 0; i < values.length; i++) {
    const line = lines[lineOf(i)]!;
    if (types[i] !== 'word' || excluded(i) || !isBullet(lineOf(i))) continue;
    if (firstOfLine < line.start) {
      firstOfLine = line.start;
      continue;
    }
    if (pos[i] !== 'PROPN' || values[i]!.length < 2) continue;
    const prev = read.names.at(-1);
    if (prev && pos[i - 1] === 'PROPN' && lineAt(lines, prev[0]) === lineOf(i)) {
      prev[1] = starts[i]! + values[i]!.length;
    } else read.names.push([starts[i]!, starts[i]! + values[i]!.length]);
  }
  if (lemmas) {
    const lemma = tokens.out(its.lemma as unknown as typeof its.value) as string[];
    read.content = [];
    for (let i = 0; i < values.length; i++) {
      if (types[i] !== 'word' || isStop[i] || values[i]!.length < 3 || !CONTENT_POS.has(pos[i]!)) continue;
      if (excluded(i)) continue;
      read.content.push({
        lemma: lemma[i]!.toLowerCase(),
        start: starts[i]!,
        end: starts[i]! + values[i]!.length,
      });
    }
  }
  return read;
}

const BULLET = /^\s*(?:[-*•]|\d{1,2}[.)])\s+\S/;
const CUT_AFTER = /^[,;:)]$/;

/**
 * A sentence is quoted whole as evidence, and a quote may be at most MAX_QUOTE_CHARS long: a longer one
 * (a paragraph without full stops, a run-on bullet) is read as pieces that fit, each cut after a comma,
 * semicolon or colon in its last third where there is one, else between words. Spans of token indexes.
 */
function fitting(span: [number, number], starts: number[], values: string[]): [number, number][] {
  const end = (i: number) => starts[i]! + values[i]!.length;
  const pieces: [number, number][] = [];
  let [a, b] = span;
  // a < b: a last piece of one token longer than a quote stays one piece (its quote is cut, index.ts)
  while (a < b && end(b) - starts[a]! > MAX_QUOTE_CHARS) {
    let fits = a;
    while (fits + 1 < b && end(fits + 1) - starts[a]! <= MAX_QUOTE_CHARS) fits++;
    let cut = fits;
    for (let i = fits; i > a && end(i) - starts[a]! > (MAX_QUOTE_CHARS * 2) / 3; i--) {
      if (CUT_AFTER.test(values[i]!)) {
        cut = i;
        break;
      }
    }
    let last = cut;
    while (last > a && !values[last]!.trim()) last--;
    pieces.push([a, last]);
    a = cut + 1;
    while (a < b && !values[a]!.trim()) a++;
  }
  pieces.push([a, b]);
  return pieces;
}
const CONTENT_POS = new Set(['NOUN', 'PROPN', 'ADJ']);

const ENGLISH = new Set(
  'the and of to in with for on a an is are was were by as at from that this which we i our my it be has have had'.split(
    ' ',
  ),
);

/** Common function words of other languages the offline reader may meet (German, French, Spanish, Dutch…). */
const FOREIGN = new Set(
  'der die das und mit von für den dem des ein eine einer im zur zum bei auf aus ist sind wir ich le la les et avec pour dans une sur du au aux est el los las y con para por una del al es en het een van voor op zijn'.split(
    ' ',
  ),
);

/**
 * Share of the function words that are English: near 1 for English prose, near 0 for German or French.
 * Keyword lists and short texts have few function words and count as English (nothing to tell).
 */
export function englishShare(text: string): number {
  let english = 0;
  let foreign = 0;
  // the words alone (match), not a match object with its offsets per word (matchAll)
  for (const w of text
    .slice(0, 20_000)
    .toLowerCase()
    .match(/\p{L}+/gu) ?? []) {
    if (FOREIGN.has(w)) foreign += 1;
    else if (ENGLISH.has(w)) english += 1;
  }
  return foreign < 5 ? 1 : english / (english + foreign);
}

export const ENGLISH_MIN_SHARE = 0.5;
