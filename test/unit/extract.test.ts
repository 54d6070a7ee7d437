import { describe, expect, it } from 'vitest';
import { ExtractionError, extractDocument } from '../../lib/evaluation/extract.ts';
import {
  CORRUPT_PDF,
  makeDocx,
  makeDocxZipBomb,
  makeEncryptedPdf,
  makePdf,
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

describe('document extraction', () => {
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
    expect(await codeOf(new Uint8Array([0xff, 0xfe, 0x00, 0x01, 0x02]))).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('a PDF with no text (a scan) is refused', async () => {
    expect(await codeOf(await makePdf([]))).toBe('NO_TEXT');
  });

  it('limits pages', async () => {
    const long = await makePdf(Array.from({ length: 200 }, (_, i) => `line ${i}`));
    expect(await codeOf(long, { maxPages: 2, timeoutMs: 10_000, maxInflatedBytes: 1e7, maxChars: 1e5 })).toBe(
      'TOO_MANY_PAGES',
    );
  });
});
