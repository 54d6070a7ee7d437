// Keys and abuse limits on the real PostgreSQL: revocation takes effect within the cache's fixed TTL
// even under constant use; rotation gives two live keys, never three; invalid keys cost no query each;
// rate limits and the daily quota hold across two "instances" (two connection pools).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyResolver } from '../../lib/auth/key-cache.ts';
import { createClient, revokeKeys, rotateKey } from '../../lib/db/api-clients.ts';
import { closeDatabase, createDatabase, type Database } from '../../lib/db/database.ts';
import { abuseLimits, LimitExceededError } from '../../lib/limits/abuse.ts';
import { isolatedStack } from '../helpers/isolation.ts';

const stack = await isolatedStack('keys-limits');
let db: Database;
let db2: Database;
beforeAll(() => {
  db = createDatabase(stack.databaseUrl, { poolSize: 4 });
  db2 = createDatabase(stack.databaseUrl, { poolSize: 4 });
});
afterAll(async () => {
  await closeDatabase(db);
  await closeDatabase(db2);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('API keys', () => {
  it('a revoked key stops working within the TTL, even while it is used all the time', async () => {
    const ttlMs = 400;
    const resolver = createKeyResolver({ db, ttlMs, negativeTtlMs: ttlMs });
    const { apiKey, keyId } = await createClient(db, 'revoke-me');
    expect(await resolver.resolve(apiKey)).toMatchObject({ keyId });
    await revokeKeys(db, { keyId });
    const revokedAt = Date.now();
    // Hit it every 20 ms: a cache that renewed its expiry on each hit would keep the key alive forever.
    let stoppedAfter = -1;
    while (Date.now() - revokedAt < 3 * ttlMs) {
      if (!(await resolver.resolve(apiKey))) {
        stoppedAfter = Date.now() - revokedAt;
        break;
      }
      await sleep(20);
    }
    expect(stoppedAfter).toBeGreaterThanOrEqual(0);
    expect(stoppedAfter).toBeLessThanOrEqual(ttlMs + 100);
  });

  it('rotation: two live keys, the old one expires after the grace period, never three keys', async () => {
    const resolver = createKeyResolver({ db, ttlMs: 0, negativeTtlMs: 0 });
    const first = await createClient(db, 'rotating');
    const second = await rotateKey(db, first.id, 500);
    expect(await resolver.resolve(first.apiKey)).toMatchObject({ id: first.id });
    expect(await resolver.resolve(second.apiKey)).toMatchObject({ id: first.id });
    await expect(rotateKey(db, first.id, 500)).rejects.toThrow(/already holds 2 live keys/);
    await sleep(700);
    expect(await resolver.resolve(first.apiKey)).toBeUndefined();
    expect(await resolver.resolve(second.apiKey)).toMatchObject({ id: first.id });
    // the old key has expired: rotating again is allowed
    const third = await rotateKey(db, first.id, 0);
    expect(await resolver.resolve(third.apiKey)).toBeDefined();
  });

  it('invalid keys: malformed ones never reach the database, unknown ones once per TTL', async () => {
    const resolver = createKeyResolver({ db, ttlMs: 60_000, negativeTtlMs: 60_000 });
    for (let i = 0; i < 50; i++) expect(await resolver.resolve(`not-a-key-${i}`)).toBeUndefined();
    expect(resolver.lookups).toBe(0);
    const unknown = `cve_${'A'.repeat(43)}`;
    for (let i = 0; i < 50; i++) expect(await resolver.resolve(unknown)).toBeUndefined();
    expect(resolver.lookups).toBe(1);
  });
});

describe('abuse limits across instances', () => {
  const limits = { windowSeconds: 60, uploads: 5, evaluations: 7, jobsPerDay: 3, jobInputMaxChars: 1000 };

  it('a rate limit holds across two instances hit at once', async () => {
    const { id } = await createClient(db, 'rate');
    // the windows are fixed minutes: twelve requests that straddle one's end count in two (a loaded CI
    // run let 6 through), so they start early in a minute
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 45_000) await new Promise((r) => setTimeout(r, 60_500 - intoMinute));
    const a = abuseLimits(db, limits);
    const b = abuseLimits(db2, limits);
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? a : b).rate(id, 'upload').then(
          (headers) => ({ ok: true, headers }),
          (err: LimitExceededError) => ({ ok: false, headers: err.headers, code: err.code }),
        ),
      ),
    );
    expect(outcomes.filter((o) => o.ok)).toHaveLength(5);
    const refused = outcomes.find((o) => !o.ok)!;
    expect(refused).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers.ratelimit).toMatch(/^"upload";r=0;t=\d+$/);
    expect(refused.headers['ratelimit-policy']).toBe('"upload";q=5;w=60');
    // evaluate has its own budget
    expect((await a.rate(id, 'evaluate')).ratelimit).toMatch(/^"evaluate";r=6;t=\d+$/);
  });

  it('the daily job quota holds across instances', async () => {
    const { id } = await createClient(db, 'quota');
    const a = abuseLimits(db, limits);
    const b = abuseLimits(db2, limits);
    const results = await Promise.allSettled([a.job(id), b.job(id), a.job(id), b.job(id), a.job(id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(LimitExceededError);
    expect(refused.reason.code).toBe('QUOTA_EXCEEDED');
  });

  it('the input budget per job', () => {
    const a = abuseLimits(db, limits);
    expect(() => a.inputBudget(1000)).not.toThrow();
    expect(() => a.inputBudget(1001)).toThrow(/at most 1000/);
  });
});
