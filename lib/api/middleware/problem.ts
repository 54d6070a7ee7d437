// RFC 9457 problem details: every error that reaches HTTP is answered here, with a stable `code` from
// the catalog (lib/errors.ts), whose entry also fixes the status.
import type { Hook } from '@hono/zod-openapi';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { isDatabaseUnavailable } from '../../db/errors.ts';
import { type ApiErrorCode, AppError, codes, errorCatalog } from '../../errors.ts';
import type { Logger } from '../../telemetry/logger.ts';
import type { Env } from '../context.ts';

export class Problem extends AppError {
  declare readonly code: ApiErrorCode;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;
  constructor(
    code: ApiErrorCode,
    detail: string,
    options: { extra?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(code, detail, { cause: options.cause });
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }
}

/** Seconds a client is asked to wait while the database is unavailable: a restart takes a few. */
export const DATABASE_RETRY_AFTER_S = 2;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function toProblem(err: unknown): Problem {
  if (err instanceof Problem) return err;
  // Errors from the layers below (a refused document) already carry a catalog code.
  if (err instanceof AppError && errorCatalog[err.code].api) {
    // A refusal from below may carry its own headers (a rate limit's Retry-After and RateLimit).
    const headers = (err as { headers?: Record<string, string> }).headers;
    return new Problem(err.code as ApiErrorCode, err.message, {
      cause: err,
      ...(headers ? { headers } : {}),
    });
  }
  // PostgreSQL down or restarting: the request was fine and can be sent again shortly.
  if (isDatabaseUnavailable(err)) {
    return new Problem(codes.DATABASE_UNAVAILABLE, 'the database is unavailable; try again shortly', {
      headers: { 'retry-after': String(DATABASE_RETRY_AFTER_S) },
      cause: err,
    });
  }
  if (err instanceof HTTPException) {
    if (err.status === 413) return new Problem(codes.PAYLOAD_TOO_LARGE, 'the request body is too large');
    if (/Malformed JSON/i.test(err.message))
      return new Problem(codes.MALFORMED_JSON, 'the request body is not valid JSON');
    if (/FormData/i.test(err.message))
      return new Problem(codes.MALFORMED_MULTIPART, 'the multipart body cannot be parsed');
    if (err.status < 500) return new Problem(codes.BAD_REQUEST, err.message || 'the request is not valid');
  }
  return new Problem(codes.INTERNAL_ERROR, 'an unexpected error occurred; it has been logged', {
    cause: err,
  });
}

/** The RFC 9457 body of a problem. */
export function problemBody(problem: Problem, requestId?: string): Record<string, unknown> {
  return {
    type: `https://cv-evaluator.dev/problems/${problem.code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[problem.status] ?? 'Error',
    status: problem.status,
    detail: problem.message,
    code: problem.code,
    ...(requestId ? { request_id: requestId } : {}),
    ...problem.extra,
  };
}

export function problemResponse(c: Context, problem: Problem): Response {
  const requestId = c.get('requestId' as never) as string | undefined;
  return new Response(JSON.stringify(problemBody(problem, requestId)), {
    status: problem.status,
    headers: {
      'content-type': 'application/problem+json',
      ...(requestId ? { 'x-request-id': requestId } : {}),
      ...problem.headers,
    },
  });
}

/** Schema validation failures: a missing Idempotency-Key is its own code, everything else one code. */
export const validationHook: Hook<unknown, Env, string, unknown> = (result, c) => {
  if (result.success) return;
  const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  if (issues.some((i) => i.path === 'idempotency-key') && c.req.header('idempotency-key') !== undefined) {
    throw new Problem(
      codes.IDEMPOTENCY_KEY_INVALID,
      'the Idempotency-Key header must be 1–255 printable ASCII characters, not blank',
      { extra: { errors: issues } },
    );
  }
  if (issues.some((i) => i.path === 'idempotency-key')) {
    throw new Problem(
      codes.IDEMPOTENCY_KEY_MISSING,
      'an Idempotency-Key header (1–255 characters) is required',
      { extra: { errors: issues } },
    );
  }
  throw new Problem(codes.VALIDATION_FAILED, 'the request does not match the schema', {
    extra: { errors: issues },
  });
};

export function onProblem(
  logger: Logger,
  notes: { everyMs?: number; now?: () => number } = {},
): ErrorHandler {
  const outage = outageNotes(notes.everyMs ?? 5_000, notes.now ?? Date.now);
  return (err, c) => {
    const problem = clientWentAway(err, c)
      ? new Problem(codes.BAD_REQUEST, 'the request body ended before it was complete', { cause: err })
      : toProblem(err);
    const log = (c.get('log' as never) as Logger | undefined) ?? logger;
    if (problem.status === 503) outage(log, problem.code, err);
    else if (problem.status >= 500) log.error({ err }, 'request failed');
    return problemResponse(c, problem);
  };
}

/** What Node's request stream fails with when the client goes away mid-body. */
export const CLIENT_GONE: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/**
 * The client went away before its body was read. Its reader fails with a network code (ECONNRESET) that
 * would otherwise be taken for the database's and answered (and logged) as an outage; the request itself
 * says whether it was cut off (@hono/node-server's IncomingMessage, absent under app.request()).
 */
function clientWentAway(err: unknown, c: Context): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !CLIENT_GONE.has(code)) return false;
  const incoming = (c.env as { incoming?: { complete: boolean } } | undefined)?.incoming;
  return incoming !== undefined && !incoming.complete;
}

/**
 * While a dependency is down every request is refused with 503 until it is back: that is one condition,
 * not a failure per request. One warn line per code every `everyMs`, with how many were refused since the
 * last one, instead of an error line and a stack per request (hundreds a second under load).
 */
function outageNotes(everyMs: number, clock: () => number) {
  const last = new Map<string, { at: number; refused: number }>();
  return (log: Logger, code: string, err: unknown) => {
    const now = clock();
    const seen = last.get(code);
    if (seen && now - seen.at < everyMs) {
      seen.refused += 1;
      return;
    }
    log.warn(
      { code, err, refusedSinceLastNote: seen?.refused ?? 0 },
      'request refused: a dependency is unavailable',
    );
    last.set(code, { at: now, refused: 0 });
  };
}

export const routeNotFound: NotFoundHandler = (c) =>
  problemResponse(c, new Problem(codes.ROUTE_NOT_FOUND, `no route for ${c.req.method} ${c.req.path}`));
