// Provider-call claims taken in groups (lib/db/effects.ts claimProviderCalls): one statement answers each
// job of a group as a lone claim would, and two owners claiming the same jobs in groups of their own, in
// opposite orders, neither deadlock nor both pay. Every statement that writes several jobs locks them in
// id order (lib/db/job-locks.ts): one that queues with a claim group on the same jobs never deadlocks;
// each writer of several jobs is tried that way, with storage order deadlocking as the control.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrGetBatch, releaseBatchLease, takeBatchLease } from '../../lib/db/batches.ts';
import { closeDatabase, createDatabase, type Database } from '../../lib/db/database.ts';
import {
  type ClaimRequest,
  claimProviderCalls,
  giveBackAttempts,
  recordOutcomes,
  startAttempts,
} from '../../lib/db/effects.ts';
import { eraseUploads } from '../../lib/db/erasure.ts';
import { markPublished } from '../../lib/db/jobs.ts';
import { createPosition } from '../../lib/db/positions.ts';
import { defaultDocuments } from '../../lib/evaluation/documents/index.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { seedClient, seedJob } from '../helpers/jobs.ts';

const stack = await isolatedStack('claims');
let db: Database;
const LEASE_MS = 30_000;

beforeAll(() => {
  db = createDatabase(stack.databaseUrl);
});
afterAll(async () => {
  if (db) await closeDatabase(db);
});

async function jobs(n: number): Promise<string[]> {
  const client = await seedClient(db);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await seedJob(db, client, `CV ${i}`));
  return ids;
}

/** Waits until `n` statements of this database (their text matching `like`) are waiting for a lock. */
async function blocked(n: number, like: string) {
  for (let i = 0; i < 200; i++) {
    const [row] = await db.execute<{ n: number }>(sql`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock' and query like ${like}`);
    if (row!.n >= n) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  const waiting = await db.execute<{ state: string; wait: string | null; query: string }>(sql`
    select state, wait_event_type as wait, left(query, 120) as query from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid()`);
  throw new Error(`fewer than ${n} statements like ${like} waited for a lock: ${JSON.stringify(waiting)}`);
}

/** A transaction that holds what `hold` locked until `release()` is called. */
function holdUntilReleased(hold: (tx: Database) => Promise<unknown>) {
  let release!: () => void;
  let held!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const locked = new Promise<void>((r) => {
    held = r;
  });
  const done = db.transaction(async (tx) => {
    await hold(tx as unknown as Database);
    held();
    await gate;
  });
  return { locked, release, done };
}

/** A third session locks job `lowest`; a claim group over `ids` then queues behind that lock. */
async function claimQueuedBehind(lowest: string, ids: string[]) {
  const holder = holdUntilReleased((tx) =>
    tx.execute(sql`select id from jobs where id = ${lowest}::uuid for update`),
  );
  await holder.locked;
  const claiming = claimProviderCalls(
    db,
    ids.map((id) => ({ id, token: randomUUID() })),
    LEASE_MS,
  );
  await blocked(1, '%provider_calls%');
  return { holder, claiming };
}

const callsOf = async (ids: string[]) =>
  (
    await db.execute<{ id: string; provider_calls: number }>(
      sql`select id, provider_calls from jobs where id = any(${sql.param(ids)}::uuid[])`,
    )
  ).reduce((m, r) => m.set(r.id, r.provider_calls), new Map<string, number>());

describe('provider-call claims in groups', () => {
  it('answers each job of a group as it stands: free, stored, held by another call, erased, asked twice', async () => {
    const [free, stored, held, erased, twice] = await jobs(5);
    await recordOutcomes(db, [
      {
        jobId: stored!,
        outcome: 'failed',
        errorCode: 'EVALUATION_FAILED',
        errorMessage: 'stored before',
        provenance: {},
        sourcePartition: 0,
        sourceOffset: 0n,
      },
    ]);
    await claimProviderCalls(db, [{ id: held!, token: randomUUID() }], LEASE_MS);
    await db.execute(sql`delete from jobs where id = ${erased}::uuid`);
    const r = {
      free: { id: free!, token: randomUUID() },
      stored: { id: stored!, token: randomUUID() },
      held: { id: held!, token: randomUUID() },
      erased: { id: erased!, token: randomUUID() },
      twice1: { id: twice!, token: randomUUID() },
      twice2: { id: twice!, token: randomUUID() },
    };
    const answers = await claimProviderCalls(db, Object.values(r), LEASE_MS);
    expect(Object.fromEntries(Object.entries(r).map(([k, req]) => [k, answers.get(req)]))).toEqual({
      free: 'claimed',
      stored: 'stored',
      held: 'busy',
      erased: 'stored',
      twice1: 'claimed',
      twice2: 'busy',
    });
    // the same token again (its first answer was lost): claimed, not counted twice
    expect((await claimProviderCalls(db, [r.free], LEASE_MS)).get(r.free)).toBe('claimed');
    const calls = await callsOf([free!, stored!, held!, twice!]);
    expect([calls.get(free!), calls.get(stored!), calls.get(held!), calls.get(twice!)]).toEqual([1, 0, 1, 1]);
  });

  it('two owners claiming the same 100 jobs at once, in opposite orders: no deadlock, each job claimed once', async () => {
    const ids = await jobs(100);
    const other = createDatabase(stack.databaseUrl);
    try {
      await other.execute(sql`select 1`); // connected: the two groups start together
      for (let round = 0; round < 10; round++) {
        const mine: ClaimRequest[] = ids.map((id) => ({ id, token: randomUUID() }));
        const theirs: ClaimRequest[] = [...ids].reverse().map((id) => ({ id, token: randomUUID() }));
        const [a, b] = await Promise.all([
          claimProviderCalls(db, mine, LEASE_MS),
          claimProviderCalls(other, theirs, LEASE_MS),
        ]);
        for (let i = 0; i < ids.length; i++) {
          const pair = [a.get(mine[i]!), b.get(theirs[ids.length - 1 - i]!)].sort();
          expect(pair).toEqual(['busy', 'claimed']);
        }
        const calls = await callsOf(ids);
        expect(new Set(calls.values())).toEqual(new Set([round + 1]));
        // the leases end: the next round's claims find every job free again
        await db.execute(
          sql`update jobs set provider_claim_until = null where id = any(${sql.param(ids)}::uuid[])`,
        );
      }
    } finally {
      await closeDatabase(other);
    }
  });

  it('a claim queued behind an outcome being stored answers "stored" and counts nothing', async () => {
    const [id] = await jobs(1);
    // the outcome is written (job locked, result inserted, status terminal) but not yet committed
    const storing = holdUntilReleased((tx) =>
      recordOutcomes(tx, [
        {
          jobId: id!,
          outcome: 'failed',
          errorCode: 'EVALUATION_FAILED',
          errorMessage: 'stored meanwhile',
          provenance: {},
          sourcePartition: 0,
          sourceOffset: 0n,
        },
      ]),
    );
    await storing.locked;
    const request = { id: id!, token: randomUUID() };
    const claiming = claimProviderCalls(db, [request], LEASE_MS); // begins now, queues on the job's row
    await blocked(1, '%provider_calls%');
    storing.release();
    await storing.done;
    expect((await claiming).get(request)).toBe('stored');
    expect((await callsOf([id!])).get(id!)).toBe(0);
  });

  // Each writer of several jobs, queued behind a claim group that waits for a third session's lock on the
  // job with the lowest id. In storage order (uuids are random, so it is not id order) the writer would
  // take other rows first and wait for that one; let go, the group takes it and then waits for the rows the
  // writer holds: a deadlock. In id order the writer queues on the first job and holds nothing.
  const unpublish = (ids: string[]) =>
    db.execute(sql`update jobs set published_at = null where id = any(${sql.param(ids)}::uuid[])`);
  const writers: Record<
    string,
    [(ids: string[]) => Promise<unknown>, string, ((ids: string[]) => Promise<unknown>)?]
  > = {
    startAttempts: [(ids) => startAttempts(db, ids), '%attempts" = "jobs"."attempts" + 1%'],
    giveBackAttempts: [(ids) => giveBackAttempts(db, ids), '%attempts" = "jobs"."attempts" - 1%'],
    markPublished: [(ids) => markPublished(db, ids), '%published_at" = coalesce%'],
    // it writes only unpublished jobs: with none, its plan never reaches the locking sub-select
    releaseBatchLease: [(ids) => releaseBatchLease(db, ids), '%set "publish_lease_until"%', unpublish],
  };
  for (const [name, [write, like, prepare]] of Object.entries(writers)) {
    it(`${name} and a claim group over the same jobs, queued behind one lock: no deadlock`, async () => {
      const ids = await jobs(100);
      const lowest = [...ids].sort()[0]!;
      for (let round = 0; round < 5; round++) {
        await startAttempts(db, ids); // an attempt to give back (giveBackAttempts locks only those)
        await prepare?.(ids);
        const { holder, claiming } = await claimQueuedBehind(lowest, ids);
        const writing = write(ids);
        await blocked(1, like);
        holder.release();
        await holder.done;
        const [, answers] = await Promise.all([writing, claiming]);
        expect(new Set(answers.values())).toEqual(new Set(['claimed']));
        await db.execute(
          sql`update jobs set provider_claim_until = null where id = any(${sql.param(ids)}::uuid[])`,
        );
      }
    });
  }
  it('erasing an upload used by many jobs and a claim group over them, queued behind one lock: no deadlock', async () => {
    for (let round = 0; round < 3; round++) {
      const ids = await jobs(100);
      const lowest = [...ids].sort()[0]!;
      // every job uses the first job's CV: erasing that upload locks all 100 jobs
      const [first] = await db.execute<{ client_id: string; cv_id: string }>(
        sql`select client_id, cv_id from jobs where id = ${ids[0]}::uuid`,
      );
      await db.execute(
        sql`update jobs set cv_id = ${first!.cv_id}::uuid where id = any(${sql.param(ids)}::uuid[])`,
      );
      const { holder, claiming } = await claimQueuedBehind(lowest, ids);
      const erasing = eraseUploads(db, first!.client_id, [first!.cv_id]);
      await blocked(1, '%"cv_id" in%');
      holder.release();
      await holder.done;
      const [erased, answers] = await Promise.all([erasing, claiming]);
      expect(new Set(answers.values())).toEqual(new Set(['claimed']));
      expect(new Set(erased!.jobIds)).toEqual(new Set(ids));
    }
  });
  it("taking a batch's publish lease and a claim group over its jobs, queued behind one lock: no deadlock", async () => {
    const [one] = await jobs(1);
    const [job] = await db.execute<{ client_id: string; cv_id: string; project_id: string }>(
      sql`select client_id, cv_id, project_id from jobs where id = ${one}::uuid`,
    );
    const position = await createPosition(db, job!.client_id, { title: 'Role', ...defaultDocuments });
    for (let round = 0; round < 3; round++) {
      // 100 unpublished jobs of one batch, their publish leases already run out (1 ms)
      const { batch, jobs: rows } = await createOrGetBatch(
        db,
        {
          clientId: job!.client_id,
          idempotencyKey: randomUUID(),
          requestFingerprint: 'claims',
          positionId: position.id,
          positionVersion: 1,
          candidates: Array.from({ length: 100 }, () => ({ cvId: job!.cv_id, projectId: job!.project_id })),
        },
        1,
      );
      await new Promise((r) => setTimeout(r, 5));
      const ids = rows.map((r) => r.id);
      const lowest = [...ids].sort()[0]!;
      const { holder, claiming } = await claimQueuedBehind(lowest, ids);
      const leasing = takeBatchLease(db, batch!.id, LEASE_MS);
      await blocked(1, '%"batch_id" = %');
      holder.release();
      await holder.done;
      const [leased, answers] = await Promise.all([leasing, claiming]);
      expect(new Set(answers.values())).toEqual(new Set(['claimed']));
      expect(new Set(leased)).toEqual(new Set(ids));
    }
  });
});
