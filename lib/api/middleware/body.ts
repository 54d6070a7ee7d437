// Request-body guards run before a handler reads anything: the declared media type, then a size cap
// enforced while the body streams in.
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { type ApiErrorCode, codes } from '../../errors.ts';
import type { Env } from '../context.ts';
import { Problem } from './problem.ts';

export function requireMediaType(expected: string): MiddlewareHandler<Env> {
  return async (c, next) => {
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== expected) {
      throw new Problem(
        codes.UNSUPPORTED_CONTENT_TYPE,
        `Content-Type must be ${expected}${type ? ` (got ${type})` : ''}`,
      );
    }
    await next();
  };
}

export function limitBody(maxSize: number, code: ApiErrorCode, detail: string): MiddlewareHandler<Env> {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new Problem(code, detail);
    },
  });
}
