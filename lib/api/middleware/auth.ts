// Authorization: Bearer <key>. A client sees only its own uploads, jobs and results; the key look-up is
// cached briefly, so a revoked key stops working within the cache's lifetime.
import type { MiddlewareHandler } from 'hono';
import { consoleClientOf } from '../../console/api.ts';
import { findClientByKey } from '../../db/api-clients.ts';
import type { Database } from '../../db/database.ts';
import { codes } from '../../errors.ts';
import { ttlCache } from '../../util/ttl-cache.ts';
import type { Env } from '../context.ts';
import { Problem } from './problem.ts';

export function bearerAuth(db: Database, cacheMs = 30_000): MiddlewareHandler<Env> {
  const clientsByKey = ttlCache<{ id: string }>(cacheMs);
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
    const key = match[1]!;
    const client = clientsByKey.get(key) ?? (await findClientByKey(db, key));
    if (!client)
      throw new Problem(codes.INVALID_API_KEY, 'the API key is not valid', {
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      });
    clientsByKey.set(key, client);
    c.set('clientId', client.id);
    await next();
  };
}
