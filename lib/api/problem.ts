// RFC 9457 problem details: every error that reaches HTTP is answered here, with a stable `code`.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AppError } from '../errors.ts';
import { ExtractionError } from '../evaluation/extract.ts';

export class Problem extends AppError {
  readonly status: number;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    code: string,
    detail: string,
    options: { extra?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(code, detail, { cause: options.cause });
    this.status = status;
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const EXTRACTION_STATUS: Record<string, number> = { UNSUPPORTED_MEDIA_TYPE: 415 };

export function toProblem(err: unknown): Problem {
  if (err instanceof Problem) return err;
  if (err instanceof ExtractionError)
    return new Problem(EXTRACTION_STATUS[err.code] ?? 422, err.code, err.message);
  if (err instanceof HTTPException) {
    if (err.status === 413) return new Problem(413, 'PAYLOAD_TOO_LARGE', 'the request body is too large');
    if (/Malformed JSON/i.test(err.message))
      return new Problem(400, 'MALFORMED_JSON', 'the request body is not valid JSON');
    if (/FormData/i.test(err.message))
      return new Problem(400, 'MALFORMED_MULTIPART', 'the multipart body cannot be parsed');
    return new Problem(err.status, `HTTP_${err.status}`, err.message || TITLES[err.status] || 'error');
  }
  return new Problem(500, 'INTERNAL_ERROR', 'an unexpected error occurred; it has been logged', {
    cause: err,
  });
}

export function problemResponse(c: Context, problem: Problem): Response {
  const requestId = c.get('requestId' as never) as string | undefined;
  const body = {
    type: `https://cv-evaluator.dev/problems/${problem.code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[problem.status] ?? 'Error',
    status: problem.status,
    detail: problem.message,
    code: problem.code,
    ...(requestId ? { request_id: requestId } : {}),
    ...problem.extra,
  };
  return new Response(JSON.stringify(body), {
    status: problem.status,
    headers: {
      'content-type': 'application/problem+json',
      ...(requestId ? { 'x-request-id': requestId } : {}),
      ...problem.headers,
    },
  });
}
