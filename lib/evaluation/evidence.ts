// Evidence quotes: every quote a provider gives is looked up verbatim (whitespace-normalised) in the
// document it claims to come from; quotes that are not there are dropped and counted.

/** The longest quote kept as evidence; the offline reader's quotes fit within it. */
export const MAX_QUOTE_CHARS = 600;

/**
 * The longest quote an answer may give (the answer schema's bound). A model that quotes a whole run-on
 * paragraph is not wrong; what it quoted is kept up to MAX_QUOTE_CHARS, cut at a word.
 */
export const MAX_ANSWER_QUOTE_CHARS = 2_000;

export interface Evidence {
  quote: string;
  /** character offsets into the original document */
  start: number;
  end: number;
}

const WHITESPACE = /\s+/g;

/** The document with every whitespace run collapsed to one space, and where each character came from. */
let last: { text: string; flat: string; origin: Uint32Array } | undefined;

function normalise(text: string): { flat: string; origin: Uint32Array } {
  // quotes are checked one after another against the same document: keep its normal form
  if (last?.text === text) return last;
  // only the whitespace runs are matched (a document has far fewer of them than characters); the text
  // between two runs is copied whole, and each run becomes one space unless it leads the text
  const parts: string[] = [];
  const origin = new Uint32Array(text.length);
  let n = 0;
  let from = 0;
  for (const m of text.matchAll(WHITESPACE)) {
    parts.push(text.slice(from, m.index));
    for (let i = from; i < m.index; i++) origin[n++] = i;
    if (n > 0) {
      parts.push(' ');
      origin[n++] = m.index;
    }
    from = m.index + m[0].length;
  }
  parts.push(text.slice(from));
  for (let i = from; i < text.length; i++) origin[n++] = i;
  last = { text, flat: parts.join(''), origin: origin.subarray(0, n) };
  return last;
}

const MIN_QUOTE = 8;

/**
 * Where a quote occurs in the source, whitespace-normalised; undefined when it is not there. The quote
 * is trimmed (trim and \s know the same whitespace), so its normal form is its runs made one space each.
 */
export function locate(source: string, quote: string): Evidence | undefined {
  const q = quote
    .trim()
    .replace(WHITESPACE, ' ')
    .replace(/^["“'‘]|["”'’]$/g, '');
  if (q.length < MIN_QUOTE) return wholeLine(source, q);
  const { flat, origin } = normalise(source);
  const at = flat.indexOf(q);
  if (at < 0) return undefined;
  const start = origin[at]!;
  const end = origin[at + q.length - 1]! + 1;
  return { quote: source.slice(start, end), start, end };
}

const BULLET = /^\s*(?:[-*•▪▸◦●]|\d{1,2}[.)])?\s*/;

/**
 * A quote too short to tell where it comes from ("the", "and") is evidence only as a whole line of the
 * document, bullet aside: "- BLS" on a CV, "queue" as a report's line (the offline reader quotes them so).
 */
function wholeLine(source: string, q: string): Evidence | undefined {
  const wanted = q.replace(BULLET, '');
  if (wanted.length < 2) return undefined;
  let from = 0;
  for (const line of source.split('\n')) {
    const lead = BULLET.exec(line)![0].length;
    const core = line.slice(lead).trimEnd();
    if (core.replace(WHITESPACE, ' ') === wanted) {
      // the quote as given when the line holds it so ("- BLS"), else the line's words
      const at = line.indexOf(q);
      const start = from + (at >= 0 ? at : lead);
      const end = at >= 0 ? start + q.length : start + core.length;
      return { quote: source.slice(start, end), start, end };
    }
    from += line.length + 1;
  }
  return undefined;
}

export interface VerifiedQuotes {
  kept: Evidence[];
  dropped: number;
}

/** Keeps the quotes found in `seen` (the text the provider saw) and gives their offsets in `original`. */
export function verifyQuotes(quotes: string[], seen: string, original: string): VerifiedQuotes {
  const kept: Evidence[] = [];
  let dropped = 0;
  for (const quote of quotes) {
    const inSeen = locate(seen, quote);
    if (!inSeen) {
      dropped += 1;
      continue;
    }
    // a quote that spans redacted text cannot point into the original; keep it with the redacted offsets
    const hit = bounded(locate(original, inSeen.quote) ?? inSeen);
    if (!kept.some((k) => k.start === hit.start && k.end === hit.end)) kept.push(hit);
  }
  return { kept, dropped };
}

/** A located quote cut to MAX_QUOTE_CHARS, at a word where one is near: a prefix of it is as verbatim. */
function bounded(e: Evidence): Evidence {
  if (e.quote.length <= MAX_QUOTE_CHARS) return e;
  const cut = e.quote.slice(0, MAX_QUOTE_CHARS);
  const lastSpace = cut.search(/\s\S*$/);
  const quote = (lastSpace > MAX_QUOTE_CHARS / 2 ? cut.slice(0, lastSpace) : cut).trimEnd();
  return { quote, start: e.start, end: e.start + quote.length };
}
