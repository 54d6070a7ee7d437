// A cap on what one PDF stream may decode to inside pdf.js, whatever its filters. extract.ts inflates
// every Flate stream it can find before pdf.js sees the file, but a scan of the bytes cannot see them
// all: Flate inside Flate, a stream whose data holds the word `endstream`, RunLength or LZW bombs. Those
// were left to the sandbox's memory watchdog, which looks every 25 ms while pdf.js doubles its decode
// buffer in between: an outside audit's 2 KB bombs took a worker to 445–545 MB against a cap of 160.
//
// pdf.js grows a decoded stream in two places (below), neither of which its bundle (unpdf's
// dist/pdfjs.mjs) exports. The module is rewritten as it loads, in this thread (a synchronous module
// hook), so that both refuse a size past `globalThis.__pdfMaxDecodedBytes` and say so in
// `globalThis.__pdfDecodedOverLimit` (pdf.js may swallow the error and go on). The rewrite fails loudly
// if a new unpdf no longer has them as expected (test/unit/extract.test.ts).
import { registerHooks } from 'node:module';

// the two places a decoded stream grows: DecodeStream's buffer (every filter, decoded as read) and the
// chunks of a DecompressionStream (Flate and Brotli, decoded whole where the platform has one)
const REWRITES: [string, string][] = [
  [
    'ensureBuffer(e){let t=this.buffer;if(e<=t.byteLength)return t;',
    'ensureBuffer(e){let t=this.buffer;if(e<=t.byteLength)return t;__pdfDecodeCap(e);',
  ],
  [
    'for await(let e of n)a.push(e),o+=e.byteLength;',
    'for await(let e of n)a.push(e),o+=e.byteLength,__pdfDecodeCap(o);',
  ],
];

/** Called by pdf.js (rewritten) with the size a stream is growing to: throws past the cap. */
function pdfDecodeCap(bytes: number): void {
  const cap = globalThis.__pdfMaxDecodedBytes;
  if (cap !== undefined && bytes > cap) {
    globalThis.__pdfDecodedOverLimit = true;
    throw new Error('a PDF stream decodes beyond the limit');
  }
}

declare global {
  var __pdfMaxDecodedBytes: number | undefined;
  var __pdfDecodedOverLimit: boolean | undefined;
  var __pdfDecodeCap: (bytes: number) => void;
}

let registered = false;

/** set by pdf.js (rewritten) while `read` ran: a function, so the check is not narrowed away */
const capHit = () => globalThis.__pdfDecodedOverLimit === true;

/** Rewrites pdf.js as it loads (once per thread; before its first import). */
export function capPdfDecoding(): void {
  if (registered) return;
  registered = true;
  globalThis.__pdfDecodeCap = pdfDecodeCap;
  registerHooks({
    load(url, context, nextLoad) {
      const loaded = nextLoad(url, context);
      if (!url.endsWith('/unpdf/dist/pdfjs.mjs')) return loaded;
      let source = String(loaded.source);
      for (const [from, to] of REWRITES) {
        if (source.split(from).length !== 2)
          throw new Error(
            `pdf.js decode cap: "${from.slice(0, 40)}…" not found once in unpdf/dist/pdfjs.mjs`,
          );
        source = source.replace(from, to);
      }
      return { ...loaded, source };
    },
  });
}

/**
 * Runs `read` with each decoded stream capped at `maxBytes`; whether the cap was hit. A worker reads one
 * file at a time; the cap stays set after it, for pdf.js's own lazy work on the same document.
 */
export async function withDecodeCap<T>(
  maxBytes: number,
  read: () => Promise<T>,
): Promise<{ value?: T; error?: unknown; overLimit: boolean }> {
  globalThis.__pdfMaxDecodedBytes = maxBytes;
  globalThis.__pdfDecodedOverLimit = false;
  try {
    const value = await read();
    return { value, overLimit: capHit() };
  } catch (error) {
    return { error, overLimit: capHit() };
  }
}
