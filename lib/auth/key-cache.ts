// API-key look-ups with a cache keyed by the key's sha256 (the key itself is never kept in memory
// longer than the request). Entries have a FIXED expiry, set when looked up in the database and never
// renewed by a hit: a revoked key stops working within `ttlMs` on every instance, however busy.
// Unknown keys are cached too (negative cache), and strings that cannot be keys never reach the database.

import { API_KEY_PATTERN, findClientByKeyHash, hashApiKey, type KeyOwner } from '../db/api-clients.ts';
import type { Database } from '../db/database.ts';

export interface KeyResolverOptions {
  db: Database;
  /** how long a found key is trusted without asking the database again */
  ttlMs: number;
  /** how long an unknown key is remembered as unknown */
  negativeTtlMs: number;
  maxEntries?: number;
}

export interface KeyResolver {
  resolve(apiKey: string): Promise<KeyOwner | undefined>;
  /** database look-ups so far (tests and metrics) */
  readonly lookups: number;
}

export function createKeyResolver(o: KeyResolverOptions): KeyResolver {
  const max = o.maxEntries ?? 10_000;
  const entries = new Map<string, { owner: KeyOwner | undefined; until: number }>();
  let lookups = 0;
  const remember = (hash: string, owner: KeyOwner | undefined) => {
    if (entries.size >= max) entries.delete(entries.keys().next().value!);
    const ttl = owner ? o.ttlMs : o.negativeTtlMs;
    // A key that expires by itself is trusted no longer than it lives.
    const until = Math.min(Date.now() + ttl, owner?.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY);
    entries.set(hash, { owner, until });
  };
  return {
    get lookups() {
      return lookups;
    },
    async resolve(apiKey) {
      if (!API_KEY_PATTERN.test(apiKey)) return undefined;
      const hash = hashApiKey(apiKey);
      const hit = entries.get(hash);
      if (hit && hit.until > Date.now()) return hit.owner;
      if (hit) entries.delete(hash);
      lookups += 1;
      const owner = await findClientByKeyHash(o.db, hash);
      remember(hash, owner);
      return owner;
    },
  };
}
