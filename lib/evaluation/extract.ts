// Document text extraction. The type is decided by content, never by file name: PDF (pdf.js through
// unpdf, after a streaming check of its Flate streams), DOCX (mammoth, after a streaming zip-bomb check)
// or plain text (UTF-8, or UTF-8/UTF-16 with a byte-order mark). Everything else, and encrypted, corrupt,
// empty or text-less files, is refused with a stable code. Details never quote a parser's own message:
// they reach clients, and a parser's message may quote the document.
//
// This module runs parsers on whatever thread calls it: the submit function calls it only inside the
// extraction sandbox (lib/extraction), whose workers have a memory cap and a hard deadline.
import { isUtf8 } from 'node:buffer';
import { createInflate } from 'node:zlib';
import { fileTypeFromBuffer } from 'file-type';
import mammoth from 'mammoth';
import { getDocumentProxy, extractText as pdfText } from 'unpdf';
import yauzl from 'yauzl';
import { AppError, codes } from '../errors.ts';
import { withTimeout } from '../util/timeout.ts';
import { capPdfDecoding, withDecodeCap } from './pdf-decode-cap.ts';

// before pdf.js is first loaded (unpdf imports it on first use)
capPdfDecoding();

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
  /** most bytes a DOCX's entries or a PDF's Flate streams may inflate to, all together */
  maxInflatedBytes: number;
  /** most bytes one DOCX part or one PDF stream (other than an image) may inflate to */
  maxPartBytes: number;
  /** most characters of extracted text; a longer document is refused, never silently cut */
  maxChars: number;
}

export const defaultLimits: ExtractionLimits = {
  maxPages: 50,
  timeoutMs: 10_000,
  maxInflatedBytes: 64 * 1024 * 1024,
  maxPartBytes: 8 * 1024 * 1024,
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
  // Text is said to be text wherever in it a NUL, a control character or a bad byte is (fromText refuses
  // those as TEXT_CONTAINS_NUL or TEXT_NOT_DECODABLE): valid UTF-8 throughout, whatever it holds
  if (!detected && (textEncoding(bytes) || isUtf8(bytes))) return 'text';
  // A PDF with garbage before its header, or a truncated one, is still meant as a PDF: call it corrupt.
  if (!detected && startsWithAscii(bytes, '%PDF')) return 'pdf';
  // text in another encoding (a Latin-1 CV): not decodable, rather than "binary data"
  if (!detected && !hasControlBytes(bytes.subarray(0, 64 * 1024))) return 'text';
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
  // Only a caller without the sandbox relies on this timer; the sandbox's deadline terminates the worker.
  const { text, pages } = await withTimeout(
    work,
    limits.timeoutMs,
    () =>
      new ExtractionError(
        codes.EXTRACTION_TIMEOUT,
        `text extraction took longer than ${limits.timeoutMs} ms`,
      ),
  );
  const clean = normalise(text);
  if (clean.length > limits.maxChars) {
    throw new ExtractionError(
      codes.TEXT_TOO_LONG,
      `the ${type.toUpperCase()} holds more than ${limits.maxChars} characters of text`,
    );
  }
  // Invisible format characters (zero-width spaces and joiners, bidi marks, soft hyphens) are no text
  // either: 150,000 zero-width spaces were stored as a CV.
  if (clean.replace(/[\s\p{Cf}]/gu, '').length === 0) {
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
  await checkPdfStreams(bytes, limits);
  const bomb = () =>
    new ExtractionError(
      codes.DECOMPRESSION_BOMB,
      `the PDF holds a stream decoding beyond ${limits.maxPartBytes} bytes (a decompression bomb?)`,
    );
  // pdf.js takes ownership of the buffer it is given: hand it a copy.
  const opened = await withDecodeCap(limits.maxPartBytes, () =>
    getDocumentProxy(new Uint8Array(bytes), { stopAtErrors: true, verbosity: 0 }),
  );
  if (opened.overLimit) throw bomb();
  if (!opened.value) {
    const name = (opened.error as { name?: string }).name;
    if (name === 'PasswordException') throw new ExtractionError(codes.ENCRYPTED_FILE, 'the PDF is encrypted');
    throw new ExtractionError(codes.CORRUPT_FILE, 'the PDF cannot be read (damaged or not a PDF)');
  }
  const doc = opened.value;
  try {
    if (doc.numPages > limits.maxPages) {
      throw new ExtractionError(
        codes.TOO_MANY_PAGES,
        `the PDF has ${doc.numPages} pages; at most ${limits.maxPages} are accepted`,
      );
    }
    const read = await withDecodeCap(limits.maxPartBytes, () => pdfText(doc, { mergePages: true }));
    // a stream over the cap is refused even where pdf.js went on without it
    if (read.overLimit) throw bomb();
    if (!read.value)
      throw new ExtractionError(codes.CORRUPT_FILE, 'the PDF cannot be read (damaged or not a PDF)');
    return { text: read.value.text, pages: doc.numPages };
  } finally {
    await (doc as unknown as { destroy?: () => Promise<void> }).destroy?.().catch(() => {});
  }
}

async function fromDocx(bytes: Uint8Array, limits: ExtractionLimits): Promise<{ text: string }> {
  await checkInflatedSize(bytes, limits);
  try {
    const { value } = await mammoth.extractRawText({ buffer: Buffer.from(bytes) });
    return { text: value };
  } catch {
    throw new ExtractionError(codes.CORRUPT_FILE, 'the DOCX cannot be read (damaged or not a DOCX)');
  }
}

type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be';

/** The encoding a byte-order mark declares, if the bytes start with one. */
function textEncoding(bytes: Uint8Array): TextEncodingName | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  return undefined;
}

/**
 * Plain text: UTF-8 (with or without a BOM) or UTF-16 LE/BE with a BOM, converted to a JS string.
 * NUL anywhere is refused (PostgreSQL text cannot hold it, and no real text file carries one), and so
 * are other control characters and bytes that are not valid in the declared encoding.
 */
function fromText(bytes: Uint8Array): { text: string } {
  const encoding = textEncoding(bytes) ?? 'utf-8';
  let text: string;
  try {
    // ignoreBOM: false (the default) drops the BOM itself.
    text = new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    throw new ExtractionError(
      codes.TEXT_NOT_DECODABLE,
      `the text file is not valid ${encoding.toUpperCase()}`,
    );
  }
  if (text.includes('\u0000')) {
    throw new ExtractionError(codes.TEXT_CONTAINS_NUL, 'the text file contains NUL bytes (binary data?)');
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  if (/[\u0001-\u0008\u000B\u000E-\u001F\u007F]/.test(text)) {
    throw new ExtractionError(
      codes.TEXT_NOT_DECODABLE,
      'the text file contains control characters (binary data?)',
    );
  }
  return { text };
}

function hasControlBytes(bytes: Uint8Array): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control bytes is the point
  return /[\u0000-\u0008\u000B\u000E-\u001F\u007F]/.test(Buffer.from(bytes).toString('latin1'));
}

function startsWithAscii(bytes: Uint8Array, prefix: string): boolean {
  return Buffer.from(bytes.subarray(0, 1024)).toString('latin1').includes(prefix);
}

function normalise(text: string): string {
  // Text a PDF or DOCX yields may carry NULs and other control characters (broken font maps): they are
  // stripped, as PostgreSQL text cannot hold NUL and they carry no meaning.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const lines = text.replace(/[\u0000-\u0008\u000B\u000E-\u001F\u007F]/g, '').replace(/\r\n?/g, '\n');
  // Trailing blanks are cut line by line, not with /[ \t]+\n/: that pattern is retried from every blank of
  // a run that no newline ends, so 100,000 spaces before a word took 8 s (the sandbox's deadline refused
  // an honest file, and a hostile one cost a worker each time).
  return lines
    .split('\n')
    .map(trimBlanksEnd)
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function trimBlanksEnd(line: string): string {
  let end = line.length;
  while (end > 0 && (line.charCodeAt(end - 1) === 0x20 || line.charCodeAt(end - 1) === 0x09)) end -= 1;
  return end === line.length ? line : line.slice(0, end);
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
    zip.on('entry', (e: yauzl.Entry) => {
      if (e.fileName !== name) return zip.readEntry();
      zip.close();
      resolve(true);
    });
    zip.on('end', () => resolve(false));
    zip.on('error', () => resolve(false));
    zip.readEntry();
  });
}

/**
 * Inflates every entry as a stream and stops at the limits: declared sizes in a zip can lie. One part
 * (document.xml is what mammoth builds a tree of) may not exceed `maxPartBytes`, all together not
 * `maxInflatedBytes`.
 */
async function checkInflatedSize(bytes: Uint8Array, limits: ExtractionLimits): Promise<void> {
  const { maxInflatedBytes: limit, maxPartBytes } = limits;
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(bytes);
  } catch {
    throw new ExtractionError(codes.CORRUPT_FILE, 'the DOCX is not a valid zip archive');
  }
  const bomb = (what: string) =>
    new ExtractionError(codes.ZIP_BOMB, `the DOCX would inflate beyond ${what} (a zip bomb?)`);
  const corrupt = () =>
    new ExtractionError(codes.CORRUPT_FILE, 'the DOCX cannot be read (damaged zip entry)');
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
      if (entry.uncompressedSize > maxPartBytes) return fail(bomb(`${maxPartBytes} bytes in one part`));
      if (total + entry.uncompressedSize > limit) return fail(bomb(`${limit} bytes`));
      if (entry.fileName.endsWith('/')) return zip.readEntry();
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) return fail(corrupt());
        let part = 0;
        stream.on('data', (chunk: Buffer) => {
          total += chunk.length;
          part += chunk.length;
          if (part > maxPartBytes || total > limit) {
            stream.destroy();
            fail(bomb(part > maxPartBytes ? `${maxPartBytes} bytes in one part` : `${limit} bytes`));
          }
        });
        stream.on('error', () => fail(corrupt()));
        stream.on('end', () => zip.readEntry());
      });
    });
    zip.on('end', () => resolve());
    zip.on('error', () => fail(corrupt()));
    zip.readEntry();
  });
}

/**
 * pdf.js inflates streams lazily and whole: a 500 KB PDF can hold a stream of gigabytes. Before pdf.js
 * sees the file, every stream whose dictionary names FlateDecode or whose data starts with a zlib header
 * is inflated here as a stream, counting and discarding the output. A stream that is not an image may inflate to `maxPartBytes` (pdf.js keeps
 * content streams whole); images count only towards the total, as text extraction never decodes them.
 * Streams this scan cannot see (other filters, Flate inside Flate, data holding the word `endstream`)
 * are capped inside pdf.js as they decode (pdf-decode-cap.ts).
 */
async function checkPdfStreams(bytes: Uint8Array, limits: ExtractionLimits): Promise<void> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin = buf.toString('latin1');
  // pdf.js starts a stream's data after `stream` and CRLF, LF or a lone CR
  const keyword = /stream(?:\r\n|\r|\n)/g;
  let total = 0;
  let scanned = 0;
  for (let m = keyword.exec(latin); m; m = keyword.exec(latin)) {
    if (latin.slice(m.index - 3, m.index) === 'end') continue;
    const start = m.index + m[0].length;
    const end = latin.indexOf('endstream', start);
    if (end < 0) break;
    keyword.lastIndex = end + 9;
    // The stream's dictionary: from the object header before it to the keyword.
    const head = latin.slice(Math.max(0, latin.lastIndexOf(' obj', m.index)), m.index);
    // Zlib data is inflated whatever the dictionary says: its /Filter may be an indirect object, or a
    // name spelled with #-escapes, which pdf.js resolves and this scan would not see.
    if (!/\/(FlateDecode|Fl)\b/.test(head) && !zlibHeader(buf, start)) continue;
    if (++scanned > 10_000)
      throw new ExtractionError(codes.DOCUMENT_TOO_COMPLEX, 'the PDF holds too many streams');
    const isImage = /\/Subtype\s*\/Image\b/.test(head);
    const partLimit = isImage ? limits.maxInflatedBytes : limits.maxPartBytes;
    const inflated = await inflatedSize(
      buf.subarray(start, end),
      Math.min(partLimit, limits.maxInflatedBytes - total),
    );
    if (inflated === 'over') {
      throw new ExtractionError(
        codes.DECOMPRESSION_BOMB,
        `the PDF holds compressed data inflating beyond ${partLimit < limits.maxInflatedBytes - total ? partLimit : limits.maxInflatedBytes} bytes (a decompression bomb?)`,
      );
    }
    total += inflated;
  }
}

/** A zlib header (RFC 1950: deflate, header check): pdf.js's Flate decoder refuses data without one. */
function zlibHeader(buf: Buffer, at: number): boolean {
  const cmf = buf[at];
  const flg = buf[at + 1];
  return cmf !== undefined && flg !== undefined && (cmf & 0x0f) === 8 && ((cmf << 8) | flg) % 31 === 0;
}

/** Bytes a zlib stream inflates to, counted without keeping them; 'over' once past `limit`. */
function inflatedSize(data: Buffer, limit: number): Promise<number | 'over'> {
  return new Promise((resolve) => {
    let size = 0;
    let done = false;
    const finish = (v: number | 'over') => {
      if (done) return;
      done = true;
      inflate.destroy();
      resolve(v);
    };
    const inflate = createInflate({ chunkSize: 64 * 1024 });
    inflate.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) finish('over');
    });
    inflate.on('end', () => finish(size));
    // A damaged stream: pdf.js decides what to make of it; what inflated so far is what counts.
    inflate.on('error', () => finish(size));
    inflate.end(data);
  });
}
