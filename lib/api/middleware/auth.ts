// Authorization: Bearer <key>. A client sees only its own uploads, jobs and results. Key look-ups go
// through a cache keyed by the key's hash with a fixed expiry (lib/auth/key-cache.ts): a revoked key
// stops working within API_KEY_CACHE_TTL_MS on every instance; unknown keys are cached too.
import type { MiddlewareHandler } from 'hono';
import { createKeyResolver } from '../../auth/key-cache.ts';
import { consoleClientOf } from '../../console/api.ts';
import type { Database } from '../../db/database.ts';
import { codes } from '../../errors.ts';
import type { Env } from '../context.ts';
import { Problem } from './problem.ts';

export function bearerAuth(
  db: Database,
  cache: { ttlMs: number; negativeTtlMs: number } = { ttlMs: 30_000, negativeTtlMs: 30_000 },
): MiddlewareHandler<Env> {
  const keys = createKeyResolver({ db, ...cache });
  return async (c, next) => {
    // The console calls in-process for its signed-in client (lib/console/api.ts); no HTTP request can.
    const internal = consoleClientOf(c.env);
    if (internal) {
      c.set('clientId', internal);
      return next();
    }
    const match = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
    if (!match)
      throw new Problem(codes.UNAUTHENTICATED, 'an Authorization: Bearer <api key> header is required', {
        headers: { 'www-authenticate': 'Bearer' },
      });
    const owner = await keys.resolve(match[1]!);
    if (!owner)
      throw new Problem(codes.INVALID_API_KEY, 'the API key is not valid (unknown, revoked or expired)', {
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      });
    c.set('clientId', owner.id);
    c.set('apiKeyId', owner.keyId);
    await next();
  };
}
