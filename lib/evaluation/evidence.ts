// Evidence quotes: every quote a provider gives is looked up verbatim (whitespace-normalised) in the
// document it claims to come from; quotes that are not there are dropped and counted.

export interface Evidence {
  quote: string;
  /** character offsets into the original document */
  start: number;
  end: number;
}

/** The document with every whitespace run collapsed to one space, and where each character came from. */
function normalise(text: string): { flat: string; origin: number[] } {
  let flat = '';
  const origin: number[] = [];
  let space = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      if (!space && flat.length > 0) {
        flat += ' ';
        origin.push(i);
      }
      space = true;
    } else {
      flat += ch;
      origin.push(i);
      space = false;
    }
  }
  return { flat, origin };
}

const MIN_QUOTE = 8;

/** Where a quote occurs in the source, whitespace-normalised; undefined when it is not there. */
export function locate(source: string, quote: string): Evidence | undefined {
  const q = normalise(quote.trim()).flat.replace(/^["“'‘]|["”'’]$/g, '');
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
