import { describe, expect, it } from 'vitest';
import { defaultLimits, ExtractionError, extractDocument } from '../../lib/evaluation/extract.ts';
import {
  CORRUPT_PDF,
  makeDocx,
  makeDocxZipBomb,
  makeEncryptedPdf,
  makePdf,
  makePdfInflating,
  PNG_BYTES,
} from '../helpers/documents.ts';

async function codeOf(bytes: Uint8Array, limits?: Parameters<typeof extractDocument>[1]): Promise<string> {
  try {
    await extractDocument(bytes, limits);
    return 'accepted';
  } catch (err) {
    if (err instanceof ExtractionError) return err.code;
    throw err;
  }
}

describe('document extraction', { timeout: 30_000 }, () => {
  it('reads the text of a real PDF', async () => {
    const out = await extractDocument(
      await makePdf(['Jane Doe', 'Senior backend engineer: Node.js, Kafka, PostgreSQL']),
    );
    expect(out.type).toBe('pdf');
    expect(out.mediaType).toBe('application/pdf');
    expect(out.pages).toBe(1);
    expect(out.text).toContain('Kafka');
    expect(out.text).toContain('Jane Doe');
  });

  it('reads the text of a real DOCX', async () => {
    const out = await extractDocument(await makeDocx(['Project report', 'Retries with exponential backoff']));
    expect(out.type).toBe('docx');
    expect(out.text).toContain('exponential backoff');
  });

  it('reads UTF-8 text, whatever its name', async () => {
    const out = await extractDocument(new TextEncoder().encode('Zoë — naïve café 日本語'));
    expect(out.type).toBe('text');
    expect(out.text).toBe('Zoë — naïve café 日本語');
  });

  it('refuses by content, with stable codes', async () => {
    expect(await codeOf(new Uint8Array())).toBe('EMPTY_FILE');
    expect(await codeOf(PNG_BYTES)).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await codeOf(CORRUPT_PDF)).toBe('CORRUPT_FILE');
    expect(await codeOf(await makeEncryptedPdf())).toBe('ENCRYPTED_FILE');
    expect(await codeOf(await makeDocxZipBomb(40))).toBe('ZIP_BOMB');
    expect(await codeOf(new TextEncoder().encode('   \n\n  '))).toBe('NO_TEXT');
    // found from outside: a file of zero-width spaces and bidi marks was stored as a CV
    expect(await codeOf(new TextEncoder().encode('\u200b\u200d\u2060\u202e\u00ad'.repeat(30_000)))).toBe(
      'NO_TEXT',
    );
    // a UTF-16 BOM followed by bytes that are not UTF-16 text
    expect(await codeOf(new Uint8Array([0xff, 0xfe, 0x00, 0x01, 0x02]))).toBe('TEXT_NOT_DECODABLE');
    expect(await codeOf(new Uint8Array([0x01, 0x02, 0x03, 0x80, 0x00]))).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('a PDF with no text (a scan) is refused', async () => {
    expect(await codeOf(await makePdf([]))).toBe('NO_TEXT');
  });

  it('limits pages', async () => {
    const long = await makePdf(Array.from({ length: 200 }, (_, i) => `line ${i}`));
    expect(await codeOf(long, { ...defaultLimits, maxPages: 2 })).toBe('TOO_MANY_PAGES');
  });

  it('refuses text longer than the cap instead of cutting it', async () => {
    const text = new TextEncoder().encode('word '.repeat(400));
    expect(await codeOf(text, { ...defaultLimits, maxChars: 1000 })).toBe('TEXT_TOO_LONG');
    expect(await codeOf(text, { ...defaultLimits, maxChars: 2000 })).toBe('accepted');
  });
});

describe('plain text', () => {
  const body = 'Zoë Δ — café 日本語\nKafka';
  it('accepts UTF-8 with a BOM and UTF-16 LE/BE with a BOM, converted to the same text', async () => {
    const utf8bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body, 'utf8')]);
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(body, 'utf16le')]);
    const be = Buffer.from(le);
    be.swap16();
    for (const bytes of [utf8bom, le, be]) {
      const out = await extractDocument(new Uint8Array(bytes));
      expect(out.type).toBe('text');
      expect(out.text).toBe(body);
    }
  });

  it('refuses a NUL or a control character in text with the same code wherever it is', async () => {
    // found from outside: in the first 64 KiB these were UNSUPPORTED_MEDIA_TYPE, after it the text codes
    for (const at of [0, 10, 70 * 1024]) {
      const text = (c: string) => new Uint8Array(Buffer.from(`${'a'.repeat(at)}${c}b`, 'utf8'));
      expect({ at, code: await codeOf(text('\u0000')) }).toEqual({ at, code: 'TEXT_CONTAINS_NUL' });
      expect({ at, code: await codeOf(text('\u001b')) }).toEqual({ at, code: 'TEXT_NOT_DECODABLE' });
    }
  });

  it('text in another encoding is not decodable; binary with control bytes is not text', async () => {
    const latin1 = new Uint8Array(Buffer.from('Zoë Müller, Backend Engineer', 'latin1'));
    expect(await codeOf(latin1)).toBe('TEXT_NOT_DECODABLE');
    expect(await codeOf(new Uint8Array([0x01, 0x02, 0x03, 0x80, 0x00]))).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses invalid UTF-8 or control characters past the sniffed prefix, and UTF-16 with a bad BOM body', async () => {
    const bad = Buffer.concat([Buffer.from('a'.repeat(70 * 1024)), Buffer.from([0xc3, 0x28])]);
    expect(await codeOf(new Uint8Array(bad))).toBe('TEXT_NOT_DECODABLE');
    const ctl = Buffer.from(`${'a'.repeat(70 * 1024)}\u0007`);
    expect(await codeOf(new Uint8Array(ctl))).toBe('TEXT_NOT_DECODABLE');
    // a lone surrogate in UTF-16 LE
    const lone = Buffer.from([0xff, 0xfe, 0x41, 0x00, 0x00, 0xd8, 0x41, 0x00]);
    expect(await codeOf(new Uint8Array(lone))).toBe('TEXT_NOT_DECODABLE');
  });

  // found from outside (a hostile-upload audit): the scan looked for the word FlateDecode in a stream's
  // dictionary and for `stream` then LF or CRLF; pdf.js also reads an indirect /Filter and `stream` then
  // CR, so those inflated in pdf.js itself, past the memory cap (peak RSS 550 MB in the sandbox)
  it('refuses a Flate bomb whatever its dictionary says or however its keyword line ends', async () => {
    const indirect = await makePdfInflating(24, { filter: '5 0 R', object5: '/FlateDecode' });
    expect(await codeOf(indirect)).toBe('DECOMPRESSION_BOMB');
    expect(await codeOf(await makePdfInflating(24, { keyword: 'stream\r' }))).toBe('DECOMPRESSION_BOMB');
  });

  // found from outside (the same audit): streams the scan of the file cannot see — Flate inside Flate,
  // other filters — decoded in pdf.js itself to 445–545 MB before the sandbox's watchdog looked
  it('refuses a stream that decodes past the cap inside pdf.js, whatever its filters', async () => {
    const twice = await makePdfInflating(24, { encode: 'flate-twice' });
    const runLength = await makePdfInflating(16, { encode: 'run-length' });
    expect(await codeOf(twice)).toBe('DECOMPRESSION_BOMB');
    expect(await codeOf(runLength)).toBe('DECOMPRESSION_BOMB');
    // control: with the cap out of the way (a part may decode to 1 GB), the scan lets both through to
    // pdf.js, which decodes them whole (a page of spaces: no text)
    const uncapped = { ...defaultLimits, maxPartBytes: 1024 ** 3, maxInflatedBytes: 1024 ** 3 };
    expect(await codeOf(twice, uncapped)).toBe('NO_TEXT');
    expect(await codeOf(runLength, uncapped)).toBe('NO_TEXT');
  });

  it('strips NUL and control characters from text a PDF yields', async () => {
    const out = await extractDocument(await makePdf(['Jane Doe', 'Kafka']));
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the assertion is about control characters
    expect(out.text).not.toMatch(/[\u0000-\u0008]/);
  });

  // found from outside (a hostile-upload audit): trailing blanks were cut by /[ \t]+\n/, retried from every
  // blank of a run no newline ends; 100,000 spaces before a word took 8 s and met the sandbox's deadline
  it('reads text with long runs of blanks in linear time, and still cuts blanks at line ends', async () => {
    const started = performance.now();
    const out = await extractDocument(
      new TextEncoder().encode(`Jane Doe${' '.repeat(60_000)}engineer\n${'\t '.repeat(30_000)}x`),
    );
    expect(performance.now() - started).toBeLessThan(1000);
    expect(out.text).toBe(`Jane Doe${' '.repeat(60_000)}engineer\n${'\t '.repeat(30_000)}x`);
    const blanks = await extractDocument(new TextEncoder().encode('Jane  \t\r\nDoe \n\n\n\nengineer\t'));
    expect(blanks.text).toBe('Jane\nDoe\n\nengineer');
  });
});
