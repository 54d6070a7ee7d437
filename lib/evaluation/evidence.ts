// Evidence quotes: every quote a provider gives is looked up verbatim (whitespace-normalised) in the
// document it claims to come from; quotes that are not there are dropped and counted.

export interface Evidence {
  quote: string;
  /** character offsets into the original document */
  start: number;
  end: number;
}

/** The document with every whitespace run collapsed to one space, and where each character came from. */
let last: { text: string; flat: string; origin: Uint32Array } | undefined;

function normalise(text: string, cache = true): { flat: string; origin: Uint32Array } {
  // quotes are checked one after another against the same document: keep its normal form
  if (cache && last?.text === text) return last;
  const parts: string[] = [];
  const origin = new Uint32Array(text.length);
  let n = 0;
  let space = false;
  for (const m of text.matchAll(/\s+|\S+/g)) {
    if (/^\s/.test(m[0])) {
      if (!space && n > 0) {
        parts.push(' ');
        origin[n++] = m.index;
      }
      space = true;
    } else {
      parts.push(m[0]);
      for (let i = 0; i < m[0].length; i++) origin[n++] = m.index + i;
      space = false;
    }
  }
  const result = { text, flat: parts.join(''), origin: origin.subarray(0, n) };
  if (cache) last = result;
  return result;
}

const MIN_QUOTE = 8;

/** Where a quote occurs in the source, whitespace-normalised; undefined when it is not there. */
export function locate(source: string, quote: string): Evidence | undefined {
  const q = normalise(quote.trim(), false).flat.replace(/^["“'‘]|["”'’]$/g, '');
  if (q.length < MIN_QUOTE) return undefined;
  const { flat, origin } = normalise(source);
  const at = flat.indexOf(q);
  if (at < 0) return undefined;
  const start = origin[at]!;
  const end = origin[at + q.length - 1]! + 1;
  return { quote: source.slice(start, end), start, end };
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
    const hit = locate(original, inSeen.quote) ?? inSeen;
    if (!kept.some((k) => k.start === hit.start && k.end === hit.end)) kept.push(hit);
  }
  return { kept, dropped };
}
