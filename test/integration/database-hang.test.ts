// PostgreSQL stops answering without closing anything (a TCP proxy drops every byte either way, as a hung
// host, a paused container or a partitioned network does): every statement and transaction is bounded
// by DATABASE_QUERY_TIMEOUT_MS (lib/db/database.ts), and past it counts as the database being unavailable.
// Submit answers 503 DATABASE_UNAVAILABLE instead of holding the request; a consumer's read fails as an
// outage (waited out, never poison). The negative control, the same pool without the bound, is still
// waiting long after. /readyz, flooded with probes while the database hangs, sends it one check.
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthRoutes } from '../../lib/api/routes/health.ts';
import { createClient } from '../../lib/db/api-clients.ts';
import { closeDatabase, createDatabase, type Database, DatabaseTimeoutError } from '../../lib/db/database.ts';
import { loadJobs } from '../../lib/db/effects.ts';
import { isDatabaseUnavailable } from '../../lib/db/errors.ts';
import { withTimeout } from '../../lib/util/timeout.ts';
import { type ApiHarness, apiHarness, uploadForm } from '../helpers/api.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { startTcpProxy, type TcpProxy, viaProxy } from '../helpers/tcp-proxy.ts';

const BOUND_MS = 1_000;
/** how long the unbounded control is watched: three bounds */
const WATCH_MS = 3 * BOUND_MS;

const stack = await isolatedStack('db-hang');
let proxy: TcpProxy;
let bounded: ApiHarness;
let unbounded: ApiHarness;
let db: Database;

beforeAll(async () => {
  const pg = new URL(stack.databaseUrl);
  proxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
  const databaseUrl = viaProxy(stack.databaseUrl, proxy);
  bounded = await apiHarness(stack, { databaseUrl, queryTimeoutMs: BOUND_MS });
  unbounded = await apiHarness(stack, { databaseUrl, queryTimeoutMs: 0 });
  db = createDatabase(databaseUrl, { poolSize: 2, queryTimeoutMs: BOUND_MS });
});
afterAll(async () => {
  await proxy?.restore();
  await bounded?.close();
  await unbounded?.close();
  if (db) await closeDatabase(db).catch(() => {});
  await proxy?.close();
});

async function documents(h: ApiHarness) {
  const res = await h.app.request('/v1/upload', {
    method: 'POST',
    headers: { authorization: `Bearer ${h.keyA}` },
    body: uploadForm({
      cv: { bytes: 'Senior engineer: TypeScript, Kafka, PostgreSQL.', name: 'cv.txt' },
      project: { bytes: 'Report: a queue, retries with backoff, a README.', name: 'r.txt' },
    }),
  });
  expect(res.status).toBe(201);
  const { cv_id, project_id } = (await res.json()) as { cv_id: string; project_id: string };
  return { cv_id, project_id };
}

const evaluate = async (h: ApiHarness, ids: { cv_id: string; project_id: string }, key: string) =>
  h.app.request('/v1/evaluate', {
    method: 'POST',
    headers: {
      authorization: `Bearer ${h.keyA}`,
      'content-type': 'application/json',
      'idempotency-key': key,
    },
    body: JSON.stringify(ids),
  });

/** The outcome of `work` within `ms`: its value, its error, or 'waiting'. */
async function within<T>(work: Promise<T>, ms: number) {
  const started = performance.now();
  const outcome = await Promise.race([
    work.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), ms)),
  ]);
  return { outcome, afterMs: performance.now() - started };
}

describe('PostgreSQL hung', () => {
  it('submit answers 503 DATABASE_UNAVAILABLE at the bound; unbounded, the same request is still waiting; 202 once it answers again', async () => {
    const ids = await documents(bounded);
    const idsB = await documents(unbounded);
    proxy.hang();
    try {
      const [a, b] = await Promise.all([
        within(evaluate(bounded, ids, 'hang-1'), WATCH_MS),
        within(evaluate(unbounded, idsB, 'hang-b'), WATCH_MS),
      ]);
      expect(a.outcome).not.toBe('waiting');
      const res = (a.outcome as { value: Response }).value;
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBeTruthy();
      expect(((await res.json()) as { code: string }).code).toBe('DATABASE_UNAVAILABLE');
      expect(a.afterMs).toBeGreaterThanOrEqual(BOUND_MS - 50);
      expect(a.afterMs).toBeLessThan(BOUND_MS + 1_500);
      // the negative control
      expect(b.outcome).toBe('waiting');
    } finally {
      await proxy.restore();
    }
    await new Promise((r) => setTimeout(r, 200));
    // nothing reached the server during the hang: the same key is accepted now
    expect((await evaluate(bounded, ids, 'hang-1')).status).toBe(202);
  }, 60_000);

  it("a consumer's read and a transaction fail as an outage at the bound, not as an error of the records", async () => {
    await loadJobs(db, ['00000000-0000-4000-8000-000000000000']); // connected
    proxy.hang();
    try {
      const read = await within(loadJobs(db, ['00000000-0000-4000-8000-000000000001']), WATCH_MS);
      const tx = await within(createClient(db, 'during the hang'), WATCH_MS);
      for (const r of [read, tx]) {
        expect(r.outcome).not.toBe('waiting');
        const { error } = r.outcome as { error?: unknown };
        expect(error).toBeInstanceOf(Error);
        expect(isDatabaseUnavailable(error)).toBe(true);
        expect(r.afterMs).toBeLessThan(BOUND_MS + 1_500);
      }
    } finally {
      await proxy.restore();
    }
    // the connections the hang went through were reset by restore(): let the pool hear of it
    await new Promise((r) => setTimeout(r, 200));
    // and the pool works again once the server answers
    expect((await loadJobs(db, ['00000000-0000-4000-8000-000000000002'])).size).toBe(0);
  }, 60_000);

  it('a BEGIN answered after the bound: the body never runs and the connection is not left in a transaction', async () => {
    const one = createDatabase(viaProxy(stack.databaseUrl, proxy), { poolSize: 1, queryTimeoutMs: 500 });
    try {
      await one.execute(sql`select 1`);
      proxy.stall();
      let ran = false;
      const tx = await within(
        one.transaction(async (t) => {
          ran = true;
          await t.execute(sql`select 1`);
        }),
        WATCH_MS,
      );
      expect((tx.outcome as { error?: unknown }).error).toBeInstanceOf(DatabaseTimeoutError);
      // the answers arrive late: BEGIN's among them
      await proxy.restore();
      await new Promise((r) => setTimeout(r, 300));
      expect(ran).toBe(false);
      // the pool's one connection is usable, not reserved by a transaction nobody ends
      const rows = await within(one.execute(sql`select 1 as ok`), WATCH_MS);
      expect((rows.outcome as { value?: unknown[] }).value).toEqual([{ ok: 1 }]);
    } finally {
      await proxy.restore();
      await closeDatabase(one).catch(() => {});
    }
  }, 30_000);

  it('a transaction whose statements each answer within the bound is not cut as a whole', async () => {
    const healthy = createDatabase(stack.databaseUrl, { poolSize: 1, queryTimeoutMs: 500 });
    try {
      const started = performance.now();
      const n = await healthy.transaction(async (t) => {
        await t.execute(sql`select pg_sleep(0.3)`);
        await t.execute(sql`select pg_sleep(0.3)`);
        return (await t.execute(sql`select 1 as n`))[0];
      });
      expect(n).toEqual({ n: 1 });
      expect(performance.now() - started).toBeGreaterThan(500);
    } finally {
      await closeDatabase(healthy);
    }
  });
});

describe('/readyz with PostgreSQL hung', () => {
  it('every probe of a flood is not ready within its bound, and the flood sends the database one check', async () => {
    const sent: string[] = [];
    // one connection per probe, all open before the hang: what is counted is what reaches the server
    const pool = createDatabase(viaProxy(stack.databaseUrl, proxy), {
      poolSize: 20,
      queryTimeoutMs: BOUND_MS,
      onQuery: (q) => sent.push(q),
    });
    const check = () => pool.$client`select 1 as ready`;
    const app = healthRoutes({ readiness: { database: check } }, 300);
    try {
      await Promise.all(Array.from({ length: 20 }, () => pool.$client`select pg_sleep(0.05)`));
      expect((await app.request('/readyz')).status).toBe(200);
      proxy.hang();
      const checks = () => sent.filter((q) => q.includes('as ready')).length;
      // the counter's control: twenty checks called straight reach the server as twenty queries
      const before = checks();
      const straight = Array.from({ length: 20 }, () => check().catch(() => 'timed out'));
      await new Promise((r) => setTimeout(r, 100));
      expect(checks() - before).toBe(20);
      // twenty probes at once: each answers 503 at its bound, and one query went out for all of them
      const flood = checks();
      const started = performance.now();
      const probes = await Promise.all(Array.from({ length: 20 }, () => app.request('/readyz')));
      expect(performance.now() - started).toBeLessThan(300 + 700);
      expect(probes.map((r) => r.status)).toEqual(Array(20).fill(503));
      expect(checks() - flood).toBe(1);
      await Promise.all(straight);
    } finally {
      await proxy.restore();
    }
    // once the server answers again, a probe is ready again
    const readyBy = Date.now() + 10_000;
    let status = 0;
    while (status !== 200 && Date.now() < readyBy) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await app.request('/readyz')).status;
    }
    expect(status).toBe(200);
    await closeDatabase(pool).catch(() => {});
  }, 60_000);
});

describe('PostgreSQL slow: a statement stuck behind a lock', () => {
  it('ends at the bound on the server too, so nothing of it commits once the lock goes; a bound on the client alone lets it commit later', async () => {
    const holder = postgres(stack.databaseUrl, { max: 2, onnotice: () => {} });
    await holder`create table lock_probe (id int primary key, v int not null)`;
    await holder`insert into lock_probe values (1, 0)`;
    /** runs `update` while another transaction holds the row, then lets the row go */
    const behindLock = async (update: () => Promise<unknown>) => {
      const locker = await holder.reserve();
      await locker`begin`;
      await locker`select * from lock_probe where id = 1 for update`;
      const outcome = await within(update(), WATCH_MS);
      // held well past the bound: the server's own timer started after the client's
      await new Promise((r) => setTimeout(r, 700));
      await locker`commit`;
      locker.release();
      await new Promise((r) => setTimeout(r, 500));
      const [row] = await holder`select v from lock_probe where id = 1`;
      return { outcome, v: row!.v as number };
    };
    const bounded = createDatabase(stack.databaseUrl, { poolSize: 1, queryTimeoutMs: BOUND_MS });
    const unbounded = createDatabase(stack.databaseUrl, { poolSize: 1 });
    try {
      // connected and their types fetched before the clock starts
      await bounded.execute(sql`select 1`);
      await unbounded.execute(sql`select 1`);
      const served = await behindLock(() => bounded.execute(sql`update lock_probe set v = 1 where id = 1`));
      expect(isDatabaseUnavailable((served.outcome.outcome as { error?: unknown }).error)).toBe(true);
      expect(served.outcome.afterMs).toBeLessThan(BOUND_MS + 1_500);
      expect(served.v).toBe(0);
      // the control: the caller is told the same at the same bound, and the update lands afterwards
      const raced = await behindLock(() =>
        withTimeout(
          unbounded.execute(sql`update lock_probe set v = 2 where id = 1`),
          BOUND_MS,
          () => new Error('late'),
        ),
      );
      expect((raced.outcome.outcome as { error?: Error }).error?.message).toBe('late');
      expect(raced.v).toBe(2);
    } finally {
      await closeDatabase(bounded).catch(() => {});
      await closeDatabase(unbounded).catch(() => {});
      await holder.end();
    }
  }, 30_000);
});
