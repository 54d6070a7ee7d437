// The extraction sandbox's worker: parses one file at a time and answers with its text or a stable
// code. A parser's own error never leaves this thread: it may quote the document.
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import type { ExtractionLimits } from '../evaluation/extract.ts';

export interface TaskMessage {
  id: number;
  bytes: Uint8Array;
  limits: ExtractionLimits;
}

export type ReplyMessage =
  | { id: number; ok: { type: string; mediaType: string; text: string; pages?: number } }
  | { id: number; error: { code: string; message: string } };

// On Linux a thread has its own nice value: parsing yields the CPU to the thread answering HTTP (19, the
// lowest: at 10 a worker still took enough of a busy 2-core host to push /healthz past 100 ms). Set
// before the parsers load (dynamic imports below): compiling pdf.js is the costliest thing a worker
// that replaces a killed one does, and it must not compete with /healthz either.
try {
  setPriority(19);
} catch {
  // not permitted or not supported: parse at normal priority
}
const { codes } = await import('../errors.ts');
const { ExtractionError, extractDocument } = await import('../evaluation/extract.ts');

// Loaded (pdf.js, mammoth, file-type imported above): the sandbox starts a file's deadline from here.
parentPort?.postMessage({ ready: true });

parentPort?.on('message', async ({ id, bytes, limits }: TaskMessage) => {
  let reply: ReplyMessage;
  try {
    reply = { id, ok: await extractDocument(bytes, limits) };
  } catch (err) {
    reply =
      err instanceof ExtractionError
        ? { id, error: { code: err.code, message: err.message } }
        : { id, error: { code: codes.CORRUPT_FILE, message: 'the file cannot be read' } };
  }
  parentPort?.postMessage(reply);
});
