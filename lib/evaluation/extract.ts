// Document text extraction. The type is decided by content, never by file name: PDF (pdf.js through
// unpdf), DOCX (mammoth, after a streaming zip-bomb check) or UTF-8 plain text. Everything else, and
// encrypted, corrupt, empty or text-less files, is refused with a stable code.
import { fileTypeFromBuffer } from 'file-type';
import mammoth from 'mammoth';
import { getDocumentProxy, extractText as pdfText } from 'unpdf';
import yauzl from 'yauzl';
import { AppError, codes } from '../errors.ts';
import { withTimeout } from '../util/timeout.ts';

export type DocumentType = 'pdf' | 'docx' | 'text';
export const MEDIA_TYPES: Record<DocumentType, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  text: 'text/plain',
};

/** A document refused; its code's status and retriability are in the catalog (lib/errors.ts). */
export class ExtractionError extends AppError {}

export interface ExtractionLimits {
  maxPages: number;
  timeoutMs: number;
  /** most bytes a DOCX may inflate to, all entries together */
  maxInflatedBytes: number;
  /** most characters of text kept */
  maxChars: number;
}

export const defaultLimits: ExtractionLimits = {
  maxPages: 50,
  timeoutMs: 10_000,
  maxInflatedBytes: 30 * 1024 * 1024,
  maxChars: 200_000,
};

export interface Extracted {
  type: DocumentType;
  mediaType: string;
  text: string;
  pages?: number;
}

export async function detectType(bytes: Uint8Array): Promise<DocumentType> {
  if (bytes.length === 0) throw new ExtractionError(codes.EMPTY_FILE, 'the file is empty');
  const detected = await fileTypeFromBuffer(bytes);
  if (detected?.mime === 'application/pdf') return 'pdf';
  if (detected?.ext === 'docx') return 'docx';
  if (detected?.mime === 'application/zip' && (await zipHasEntry(bytes, 'word/document.xml'))) return 'docx';
  if (!detected && isPlainText(bytes)) return 'text';
  // A PDF with garbage before its header, or a truncated one, is still meant as a PDF: call it corrupt.
  if (!detected && startsWithAscii(bytes, '%PDF')) return 'pdf';
  throw new ExtractionError(
    codes.UNSUPPORTED_MEDIA_TYPE,
    `the content is ${detected ? `${detected.mime}` : 'binary data of no known type'}; PDF, DOCX or plain text expected`,
  );
}

export async function extractDocument(
  bytes: Uint8Array,
  limits: ExtractionLimits = defaultLimits,
): Promise<Extracted> {
  const type = await detectType(bytes);
  const work: Promise<{ text: string; pages?: number }> | { text: string; pages?: number } =
    type === 'pdf' ? fromPdf(bytes, limits) : type === 'docx' ? fromDocx(bytes, limits) : fromText(bytes);
  const { text, pages } = await withTimeout(
    work,
    limits.timeoutMs,
    () =>
      new ExtractionError(
        codes.EXTRACTION_TIMEOUT,
        `text extraction took longer than ${limits.timeoutMs} ms`,
      ),
  );
  const clean = normalise(text).slice(0, limits.maxChars);
  if (clean.replace(/\s/g, '').length === 0) {
    throw new ExtractionError(codes.NO_TEXT, `the ${type.toUpperCase()} holds no extractable text (a scan?)`);
  }
  return { type, mediaType: MEDIA_TYPES[type], text: clean, ...(pages !== undefined ? { pages } : {}) };
}

async function fromPdf(
  bytes: Uint8Array,
  limits: ExtractionLimits,
): Promise<{ text: string; pages: number }> {
  // pdf.js opens PDFs encrypted with an empty user password without complaint; we refuse every
  // encrypted PDF, so look for the trailer's /Encrypt entry (it is never inside a compressed stream).
  if (/\/Encrypt\b/.test(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'))) {
    throw new ExtractionError(codes.ENCRYPTED_FILE, 'the PDF is encrypted');
  }
  let doc: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // pdf.js takes ownership of the buffer it is given: hand it a copy.
    doc = await getDocumentProxy(new Uint8Array(bytes), { stopAtErrors: true, verbosity: 0 });
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === 'PasswordException') throw new ExtractionError(codes.ENCRYPTED_FILE, 'the PDF is encrypted');
    throw new ExtractionError(codes.CORRUPT_FILE, `the PDF cannot be read: ${(err as Error).message}`);
  }
  try {
    if (doc.numPages > limits.maxPages) {
      throw new ExtractionError(
        codes.TOO_MANY_PAGES,
        `the PDF has ${doc.numPages} pages; at most ${limits.maxPages} are accepted`,
      );
    }
    const { text } = await pdfText(doc, { mergePages: true });
    return { text, pages: doc.numPages };
  } catch (err) {
    if (err instanceof ExtractionError) throw err;
    throw new ExtractionError(codes.CORRUPT_FILE, `the PDF cannot be read: ${(err as Error).message}`);
  } finally {
    await (doc as unknown as { destroy?: () => Promise<void> }).destroy?.().catch(() => {});
  }
}

async function fromDocx(bytes: Uint8Array, limits: ExtractionLimits): Promise<{ text: string }> {
  await checkInflatedSize(bytes, limits.maxInflatedBytes);
  try {
    const { value } = await mammoth.extractRawText({ buffer: Buffer.from(bytes) });
    return { text: value };
  } catch (err) {
    throw new ExtractionError(codes.CORRUPT_FILE, `the DOCX cannot be read: ${(err as Error).message}`);
  }
}

function fromText(bytes: Uint8Array): { text: string } {
  return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '') };
}

function isPlainText(bytes: Uint8Array): boolean {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, 64 * 1024));
    // Control characters other than tab, newline, carriage return, form feed: not text.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    return !/[\u0000-\u0008\u000B\u000E-\u001F\u007F]/.test(text);
  } catch {
    // A multi-byte character cut at the 64 KiB boundary is fine; anything else is not UTF-8.
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      return true;
    } catch {
      return false;
    }
  }
}

function startsWithAscii(bytes: Uint8Array, prefix: string): boolean {
  return Buffer.from(bytes.subarray(0, 1024)).toString('latin1').includes(prefix);
}

function normalise(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function openZip(bytes: Uint8Array): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.fromBuffer(Buffer.from(bytes), { lazyEntries: true, validateEntrySizes: true }, (err, zip) =>
      err || !zip ? reject(err) : resolve(zip),
    ),
  );
}

async function zipHasEntry(bytes: Uint8Array, name: string): Promise<boolean> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(bytes);
  } catch {
    return false;
  }
  return new Promise((resolve) => {
    zip.on('entry', (e: yauzl.Entry) =>
      e.fileName === name ? (zip.close(), resolve(true)) : zip.readEntry(),
    );
    zip.on('end', () => resolve(false));
    zip.on('error', () => resolve(false));
    zip.readEntry();
  });
}

/** Inflates every entry as a stream and stops at the limit: declared sizes in a zip can lie. */
async function checkInflatedSize(bytes: Uint8Array, limit: number): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(bytes);
  } catch (err) {
    throw new ExtractionError(codes.CORRUPT_FILE, `the DOCX is not a valid zip: ${(err as Error).message}`);
  }
  let total = 0;
  let entries = 0;
  await new Promise<void>((resolve, reject) => {
    const fail = (err: unknown) => {
      zip.close();
      reject(err);
    };
    zip.on('entry', (entry: yauzl.Entry) => {
      entries += 1;
      if (entries > 5000) return fail(new ExtractionError(codes.ZIP_BOMB, 'the DOCX holds too many entries'));
      if (total + entry.uncompressedSize > limit) {
        return fail(new ExtractionError(codes.ZIP_BOMB, `the DOCX would inflate beyond ${limit} bytes`));
      }
      if (entry.fileName.endsWith('/')) return zip.readEntry();
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream)
          return fail(new ExtractionError(codes.CORRUPT_FILE, `the DOCX cannot be read: ${err?.message}`));
        stream.on('data', (chunk: Buffer) => {
          total += chunk.length;
          if (total > limit) {
            stream.destroy();
            fail(new ExtractionError(codes.ZIP_BOMB, `the DOCX would inflate beyond ${limit} bytes`));
          }
        });
        stream.on('error', (e) =>
          fail(new ExtractionError(codes.CORRUPT_FILE, `the DOCX cannot be read: ${e.message}`)),
        );
        stream.on('end', () => zip.readEntry());
      });
    });
    zip.on('end', () => resolve());
    zip.on('error', (e) =>
      fail(new ExtractionError(codes.CORRUPT_FILE, `the DOCX cannot be read: ${e.message}`)),
    );
    zip.readEntry();
  });
}
