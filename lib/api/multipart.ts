// Multipart bodies read with busboy, streaming: each file's bytes are gathered once into one buffer,
// a file over its cap stops being kept the moment it passes it, and part counts are bounded. The Fetch
// API's own formData() copies a body about five times on the event loop (whole body, Response, Blob,
// File, arrayBuffer): with eight 1 MB uploads at once that held /healthz for over 100 ms.
import { Readable } from 'node:stream';
import busboy from 'busboy';
import { AppError, codes } from '../errors.ts';
import { CLIENT_GONE, Problem } from './middleware/problem.ts';

export interface FilePart {
  field: string;
  /** the client's file name cleaned by `safeFilename`; '' when it sent none */
  filename: string;
  /** empty when the file passed `maxFileBytes` (then `tooLarge`) */
  bytes: Uint8Array;
  /** bytes received, up to maxFileBytes + 1 */
  size: number;
  tooLarge: boolean;
}

export interface MultipartForm {
  /** in the order they came */
  files: FilePart[];
  fields: Map<string, string[]>;
}

export interface MultipartLimits {
  maxFileBytes: number;
  maxFiles: number;
  maxFields?: number;
}

const MAX_FIELD_BYTES = 64 * 1024;

/**
 * A client's file name, kept for display: no control characters (C0, DEL, C1; PostgreSQL text cannot hold
 * NUL) and no bidi overrides or isolates, which make `cv\u202Etxt.exe` read as `cvexe.txt`.
 */
export function safeFilename(name: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const clean = name.replace(/[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g, '').trim();
  // by code points: a cut must not leave half a surrogate pair
  return Array.from(clean).slice(0, 255).join('');
}

export async function readMultipart(request: Request, limits: MultipartLimits): Promise<MultipartForm> {
  const malformed = (cause?: unknown) =>
    new Problem(codes.MALFORMED_MULTIPART, 'the multipart body cannot be parsed', { cause });
  if (!request.body) throw malformed();
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': request.headers.get('content-type') ?? '' },
      // Browsers and curl send file names as raw UTF-8 (busboy's default is latin1); filename* is decoded
      // by its own charset either way.
      defParamCharset: 'utf8',
      limits: {
        fileSize: limits.maxFileBytes,
        files: limits.maxFiles,
        fields: limits.maxFields ?? 16,
        fieldSize: MAX_FIELD_BYTES,
        parts: limits.maxFiles + (limits.maxFields ?? 16),
      },
    });
  } catch (err) {
    // no boundary, not multipart
    throw malformed(err);
  }
  const form: MultipartForm = { files: [], fields: new Map() };
  const source = Readable.fromWeb(request.body as import('node:stream/web').ReadableStream);
  return new Promise<MultipartForm>((resolve, reject) => {
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      source.unpipe(parser);
      source.destroy();
      reject(err);
    };
    const pending: Promise<void>[] = [];
    parser.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      let size = 0;
      pending.push(
        new Promise<void>((done) => {
          stream.on('data', (chunk: Buffer) => {
            size += chunk.length;
            chunks.push(chunk);
          });
          stream.on('limit', () => {
            chunks.length = 0;
            size = limits.maxFileBytes + 1;
          });
          stream.on('end', () => {
            const tooLarge = size > limits.maxFileBytes;
            form.files.push({
              field,
              filename: safeFilename(info.filename ?? ''),
              bytes: tooLarge ? new Uint8Array(0) : Buffer.concat(chunks, size),
              size,
              tooLarge,
            });
            done();
          });
          // busboy ending the file early: a body cut off before its closing boundary
          stream.on('error', (err) => fail(malformed(err)));
        }),
      );
    });
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) return fail(malformed(new Error(`field ${name} is too long`)));
      const values = form.fields.get(name) ?? [];
      values.push(value);
      form.fields.set(name, values);
    });
    const tooMany = () =>
      fail(
        new Problem(
          codes.VALIDATION_FAILED,
          `at most ${limits.maxFiles} files and ${limits.maxFields ?? 16} fields in one form`,
        ),
      );
    parser.on('filesLimit', tooMany);
    parser.on('fieldsLimit', tooMany);
    parser.on('partsLimit', tooMany);
    parser.on('error', (err) => fail(malformed(err)));
    parser.on('close', () => {
      void Promise.all(pending).then(() => {
        if (!failed) resolve(form);
      });
    });
    // The body stream failing: a refusal already decided (a size cap) keeps its answer, a client that went
    // away sent a cut-off form, anything else is ours (500).
    source.on('error', (err) => {
      const code = (err as { code?: unknown }).code;
      if (err instanceof AppError) fail(err);
      else fail(typeof code === 'string' && CLIENT_GONE.has(code) ? malformed(err) : err);
    });
    source.pipe(parser);
  });
}

/** Every file of `field`, in order. */
export const filesOf = (form: MultipartForm, field: string) => form.files.filter((f) => f.field === field);

/** Names of the fields and file fields not in `allowed`. */
export function unexpectedFields(form: MultipartForm, allowed: readonly string[]): string[] {
  const names = new Set([...form.files.map((f) => f.field), ...form.fields.keys()]);
  return [...names].filter((n) => !allowed.includes(n));
}

/**
 * The refusal's words for unexpected fields: their names as the client sent them, but a few and short,
 * so that an answer does not carry back 15 KB of whatever a client put in a field name.
 */
export function unexpectedFieldsDetail(names: string[]): string {
  const shown = names.slice(0, 5).map((n) => JSON.stringify(n.length > 40 ? `${n.slice(0, 40)}…` : n));
  const more = names.length > shown.length ? ` and ${names.length - shown.length} more` : '';
  return `unexpected form fields: ${shown.join(', ')}${more}`;
}
