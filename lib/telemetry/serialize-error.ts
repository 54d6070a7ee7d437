// What logs and spans may say about an error: its name, stable code, SQL state, constraint, errno and
// stack frames — never its message, unless it is one of ours (AppError, whose messages we write). A
// library's message may quote data: drizzle's "Failed query … params: …" carries the bound parameters
// (a whole CV), PostgreSQL quotes bad input values, parsers quote the document.
import { AppError } from '../errors.ts';

export interface SafeError {
  name: string;
  code?: string | number;
  sql_state?: string;
  constraint?: string;
  type?: string;
  message?: string;
  stack?: string;
  cause?: SafeError;
}

export function serializeError(err: unknown, depth = 0): SafeError {
  if (!(err instanceof Error)) return { name: typeof err };
  const e = err as Error & Record<string, unknown>;
  const out: SafeError = { name: err.name };
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
  if (err.name === 'PostgresError' && typeof e.code === 'string') out.sql_state = e.code;
  if (typeof e.constraint_name === 'string') out.constraint = e.constraint_name;
  if (typeof e.type === 'string') out.type = e.type;
  if (err instanceof AppError) out.message = err.message;
  // A stack starts with "Name: message" (any number of lines): keep only the frames.
  if (typeof err.stack === 'string') {
    out.stack = err.stack
      .split('\n')
      .filter((line) => /^\s+at /.test(line))
      .slice(0, 12)
      .join('\n');
  }
  if (err.cause !== undefined && depth < 3) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

/** A one-line description safe for a span's status message. */
export function safeErrorText(err: unknown): string {
  const s = serializeError(err);
  return [s.name, s.code, s.message].filter((p) => p !== undefined && p !== '').join(': ');
}
