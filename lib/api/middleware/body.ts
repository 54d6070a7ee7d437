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

/**
 * Refuses a body over `maxSize` with `code`. A declared length is checked from the headers alone (Node's
 * parser never hands on more bytes than it declares); a body without one (chunked) is counted as it
 * streams in, by hono's bodyLimit. hono's bodyLimit reads `raw.body` first even when the length is
 * declared, which makes @hono/node-server build a web Request and a web stream around Node's request:
 * ~8 % of submit's CPU samples under load (a bench:submit --cpu-prof profile, summed by hand), where the handler can read the body
 * from Node directly.
 */
export function limitBody(maxSize: number, code: ApiErrorCode, detail: string): MiddlewareHandler<Env> {
  const refuse = () => {
    throw new Problem(code, detail);
  };
  const counted = bodyLimit({ maxSize, onError: refuse });
  return async (c, next) => {
    const declared = c.req.header('content-length');
    if (declared === undefined || c.req.header('transfer-encoding') !== undefined) return counted(c, next);
    if (Number.parseInt(declared, 10) > maxSize) refuse();
    await next();
  };
}
