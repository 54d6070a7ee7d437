// Accepting a job without HTTP: each outcome of acceptJob() on the real PostgreSQL, and the one
// lease-publish routine (route and sweeper) on the real broker — a failed publish loses no job and
// holds no lease; a sweep publishes it exactly once.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, createDatabase, type Database } from '../../lib/db/database.ts';
import { insertUploads } from '../../lib/db/uploads.ts';
import { acceptJob, type EvaluateRequest } from '../../lib/jobs/accept.ts';
import { createLeasePublisher, PublishFailedError } from '../../lib/jobs/publish-lease.ts';
import { sweepUnpublished } from '../../lib/jobs/sweeper.ts';
import { RequestPublisher } from '../../lib/kafka/request-publisher.ts';
import { testLogger } from '../helpers/engine.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { seedClient } from '../helpers/jobs.ts';
import { drainTopic } from '../helpers/kafka.ts';

const stack = await isolatedStack('accept');
const jobsTopic = stack.topic('jobs');
const publishing = { leaseMs: 15_000, timeoutMs: 3_000 };
let db: Database;
let publisher: RequestPublisher;
let clientId: string;
let request: EvaluateRequest;

beforeAll(async () => {
  await stack.createTopics([jobsTopic], 3);
  db = createDatabase(stack.databaseUrl);
  publisher = new RequestPublisher({
    kafka: stack.kafka,
    app: stack.prefix,
    instanceId: 'accept-test',
    slots: 1,
    logger: testLogger,
  });
  clientId = await seedClient(db);
  const rows = await uploadPair('text');
  request = {
    cv_id: rows.find((r) => r.kind === 'cv')!.id,
    project_id: rows.find((r) => r.kind === 'project')!.id,
  };
});
/** A CV and a project report of the test's client, their texts `cv <text>` and `project <text>`. */
function uploadPair(text: string) {
  return insertUploads(
    db,
    (['cv', 'project'] as const).map((kind) => ({
      clientId,
      kind,
      filename: `${kind}.txt`,
      mediaType: 'text/plain',
      sizeBytes: 4,
      sha256: '0'.repeat(64),
      extractedText: `${kind} ${text}`,
    })),
  );
}

afterAll(async () => {
  await publisher?.close();
  if (db) await closeDatabase(db);
});

const accept = (idempotencyKey: string, body: EvaluateRequest = request, leaseMs = publishing.leaseMs) =>
  acceptJob(db, { clientId, idempotencyKey, request: body }, { leaseMs });
const publishLeased = () =>
  createLeasePublisher({ ...publishing, db, jobsTopic, publish: (r) => publisher.publish(r) });
const jobRows = (key: string) =>
  db.execute<{ id: string; published_at: Date | null; publish_lease_until: Date | null }>(
    sql`select id, published_at, publish_lease_until from jobs where idempotency_key = ${key}`,
  );

describe('acceptJob', () => {
  it('created: the first request with a key inserts the job holding its publish lease', async () => {
    const key = randomUUID();
    const first = await accept(key);
    expect(first).toMatchObject({ outcome: 'created', resumed: false });
    const [row] = await jobRows(key);
    expect(row?.id).toBe(first.job.id);
    expect(row?.published_at).toBeNull();
    expect(row?.publish_lease_until).not.toBeNull();
  });

  it('in-flight: the same request while the first holds the lease is told to retry', async () => {
    const key = randomUUID();
    const first = await accept(key);
    const second = await accept(key);
    expect(second.outcome).toBe('in-flight');
    expect(second.job.id).toBe(first.job.id);
    expect(await jobRows(key)).toHaveLength(1);
  });

  it('replayed: after publishing, the same request (keys in any order) answers with the same job', async () => {
    const key = randomUUID();
    const first = await accept(key);
    await publishLeased()(first.job.id);
    const reordered = { project_id: request.project_id, cv_id: request.cv_id };
    const again = await accept(key, reordered);
    expect(again).toMatchObject({ outcome: 'replayed', job: { id: first.job.id } });
  });

  it('key-reused: the same key with another body is refused and creates nothing', async () => {
    const key = randomUUID();
    const first = await accept(key);
    const other = await accept(key, { ...request, job_description: 'A different role entirely.' });
    expect(other.outcome).toBe('key-reused');
    expect(other.job.id).toBe(first.job.id);
    expect(await jobRows(key)).toHaveLength(1);
  });

  it('over the input budget: refused in the same statement, nothing stored; at the budget: created', async () => {
    // the two uploads hold 'cv text' + 'project text' = 19 characters
    const refused: number[] = [];
    const budget = (maxChars: number, extraChars: number) => ({
      maxChars,
      extraChars,
      refuse: (chars: number): never => {
        refused.push(chars);
        throw new Error('over budget');
      },
    });
    const key = randomUUID();
    await expect(
      acceptJob(db, { clientId, idempotencyKey: key, request }, { leaseMs: 15_000, budget: budget(20, 2) }),
    ).rejects.toThrow('over budget');
    expect(refused).toEqual([21]);
    expect(await jobRows(key)).toHaveLength(0);
    const fits = await acceptJob(
      db,
      { clientId, idempotencyKey: key, request },
      { leaseMs: 15_000, budget: budget(21, 2) },
    );
    expect(fits.outcome).toBe('created');
    expect(await jobRows(key)).toHaveLength(1);
  });

  it('created (resumed): a request whose predecessor never published takes over once the lease ran out', async () => {
    const key = randomUUID();
    const first = await accept(key, request, 1);
    await new Promise((r) => setTimeout(r, 20));
    const retry = await accept(key);
    expect(retry).toMatchObject({ outcome: 'created', resumed: true, job: { id: first.job.id } });
    // and it now holds the lease: a third request is in flight, not a second publisher
    expect((await accept(key)).outcome).toBe('in-flight');
  });

  it('20 concurrent identical requests: one creates, the others are in flight, one row', async () => {
    const key = randomUUID();
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => accept(key)));
    const counts = Object.groupBy(outcomes, (o) => o.outcome);
    expect(counts.created).toHaveLength(1);
    expect(counts['in-flight']).toHaveLength(19);
    expect(new Set(outcomes.map((o) => o.job.id)).size).toBe(1);
    expect(await jobRows(key)).toHaveLength(1);
  });
});

describe('acceptJob: the requests of one tick share one statement', () => {
  const inserts: string[] = [];
  let counted: Database;
  beforeAll(() => {
    counted = createDatabase(stack.databaseUrl, {
      onQuery: (q) => q.includes('insert into jobs') && inserts.push(q),
    });
  });
  afterAll(async () => {
    if (counted) await closeDatabase(counted);
  });
  const acceptOn = (key: string, body: EvaluateRequest = request, maxChars?: number) =>
    acceptJob(
      counted,
      { clientId, idempotencyKey: key, request: body },
      {
        leaseMs: publishing.leaseMs,
        ...(maxChars === undefined
          ? {}
          : {
              budget: {
                maxChars,
                extraChars: 0,
                refuse: (): never => {
                  throw new Error('over budget');
                },
              },
            }),
      },
    ).then(
      (o) => ({ outcome: o.outcome as string, id: o.job.id as string | undefined }),
      (e: { code?: string; message: string }) => ({ outcome: e.code ?? e.message, id: undefined }),
    );

  it('each request gets its own answer: created, the same key twice, a foreign upload, a wrong kind, over the budget', async () => {
    inserts.length = 0;
    const keys = Array.from({ length: 20 }, () => randomUUID());
    const twice = randomUUID();
    const foreign = { ...request, cv_id: randomUUID() };
    const [overKey, foreignKey, wrongKindKey, retriedKey] = [
      randomUUID(),
      randomUUID(),
      randomUUID(),
      randomUUID(),
    ];
    const answers = await Promise.all([
      ...keys.map((k) => acceptOn(k)),
      acceptOn(twice),
      acceptOn(twice),
      acceptOn(twice),
      acceptOn(foreignKey, foreign),
      acceptOn(overKey, request, 5),
      acceptOn(wrongKindKey, { ...request, cv_id: request.project_id }),
      // the same key twice, the first refused for its upload: the second still creates the job
      acceptOn(retriedKey, foreign),
      acceptOn(retriedKey),
    ]);
    // one statement inserted all of them; only the same-key requests needed their follow-up read
    expect(inserts).toHaveLength(1);
    const created = answers.slice(0, 20);
    expect(created.every((a) => a.outcome === 'created')).toBe(true);
    expect(new Set(created.map((a) => a.id)).size).toBe(20);
    const sameKey = answers.slice(20, 23);
    expect(sameKey.map((a) => a.outcome).sort()).toEqual(['created', 'in-flight', 'in-flight']);
    expect(new Set(sameKey.map((a) => a.id)).size).toBe(1);
    expect(answers[23]!.outcome).toBe('UPLOAD_NOT_FOUND');
    expect(answers[24]!.outcome).toBe('over budget');
    expect(answers[25]!.outcome).toBe('WRONG_UPLOAD_KIND');
    expect(answers.slice(26).map((a) => a.outcome)).toEqual(['UPLOAD_NOT_FOUND', 'created']);
    expect(await jobRows(wrongKindKey)).toHaveLength(0);
    expect(await jobRows(retriedKey)).toHaveLength(1);
    for (const k of [...keys, twice]) expect(await jobRows(k)).toHaveLength(1);
    expect(await jobRows(foreignKey)).toHaveLength(0);
    expect(await jobRows(overKey)).toHaveLength(0);
  });

  /** Holds `lock` in a transaction of its own until `release()`; `lockMore` locks more while holding. */
  function holding(lock: string) {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let more: Promise<void> = Promise.resolve();
    let lockMore!: (statement: string) => Promise<void>;
    let ready!: () => void;
    const isReady = new Promise<void>((r) => {
      ready = r;
    });
    const done = db.transaction(async (tx) => {
      await tx.execute(sql.raw(lock));
      lockMore = (statement) => {
        more = tx.execute(sql.raw(statement)).then(() => {});
        return more;
      };
      ready();
      await gate;
      await more;
    });
    return {
      ready: isReady,
      done,
      release: () => release(),
      lockMore: (statement: string) => lockMore(statement),
    };
  }

  /** Waits until a shared insert of this database waits for a lock (matched on its opening: PostgreSQL
   * keeps only the first 1,024 bytes of a statement's text); returns its backend's pid. */
  async function insertWaiting(): Promise<number> {
    for (let i = 0; i < 200; i++) {
      const [row] = await db.execute<{ pid: number }>(sql`
        select pid from pg_stat_activity where datname = current_database()
          and wait_event_type = 'Lock' and query like '%with req as%' limit 1`);
      if (row) return row.pid;
      await new Promise((r) => setTimeout(r, 25));
    }
    const sessions = await db.execute(sql`
      select state, wait_event_type as wait, left(query, 80) as query from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid()`);
    throw new Error(`no insert waited for a lock: ${JSON.stringify(sessions)}`);
  }

  it("an outage fails the statement's requests at once, each with the outage's error, retrying none", async () => {
    // the jobs table locked by another session and a 300 ms statement timeout: the shared insert is
    // canceled (57014), which lib/db/errors.ts counts as the database being unavailable; retrying each
    // request would wait the timeout again, each
    const dbName = new URL(stack.databaseUrl).pathname.slice(1);
    await db.execute(sql.raw(`alter database "${dbName}" set statement_timeout = 300`));
    const timed = createDatabase(stack.databaseUrl, {
      onQuery: (q) => q.includes('insert into jobs') && inserts.push(q),
    });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => {
      locked = r;
    });
    const holder = db.transaction(async (tx) => {
      await tx.execute(sql`lock table jobs in access exclusive mode`);
      locked();
      await gate;
    });
    try {
      await isLocked;
      inserts.length = 0;
      const started = performance.now();
      const answers = await Promise.all(
        Array.from({ length: 5 }, () =>
          acceptJob(timed, { clientId, idempotencyKey: randomUUID(), request }, { leaseMs: 15_000 }).then(
            () => 'created',
            (e: { code?: string }) => e.code,
          ),
        ),
      );
      expect(answers).toEqual(Array(5).fill('57014'));
      // one statement, not one and then five more: an outage is not any one request's fault
      expect(inserts).toHaveLength(1);
      expect(performance.now() - started).toBeLessThan(3_000);
    } finally {
      release();
      await holder;
      await db.execute(sql.raw(`alter database "${dbName}" reset statement_timeout`));
      await closeDatabase(timed);
    }
  });

  it("a deadlock of the shared statement is not everyone's: its requests are retried alone and accepted", async () => {
    // a second CV and project; the batch's rows take their uploads' key-share locks in key order
    const [cv2, project2] = await uploadPair('two');
    const second = { cv_id: cv2!.id, project_id: project2!.id };
    // an eraser holds the second CV, then (below) asks for the first one, which the batch's first row holds
    // (the eraser checks for a deadlock only after 30 s, the insert after PostgreSQL's 1 s: the insert is
    // the victim however slow this machine is)
    const eraser = holding(`set local deadlock_timeout = '30s'`);
    await eraser.ready;
    await eraser.lockMore(`select id from uploads where id = '${cv2!.id}' for update`);
    inserts.length = 0;
    const prefix = randomUUID();
    const answers = Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((k) => acceptOn(`${prefix}-${k}`, k === 'b' ? second : request)),
    );
    await insertWaiting();
    const eraserLocked = eraser.lockMore(`select id from uploads where id = '${request.cv_id}' for update`);
    // PostgreSQL breaks the cycle by failing the statement that waited first: the shared insert (40P01)
    await eraserLocked;
    eraser.release();
    await eraser.done;
    const outcomes = await answers;
    expect(outcomes.map((o) => o.outcome)).toEqual(Array(5).fill('created'));
    expect(inserts.length).toBe(1 + 5);
  });

  it('a request PostgreSQL refuses fails alone: the others of its statement are accepted', async () => {
    inserts.length = 0;
    const keys = Array.from({ length: 5 }, () => randomUUID());
    const refusedKey = randomUUID();
    const answers = await Promise.all([
      ...keys.map((k) => acceptOn(k)),
      // a NUL character: PostgreSQL's text cannot hold it, so the whole statement fails
      acceptOn(refusedKey, { ...request, job_description: 'a role\u0000with a NUL' }),
    ]);
    expect(answers.slice(0, 5).map((a) => a.outcome)).toEqual(Array(5).fill('created'));
    expect(answers[5]!.outcome).not.toBe('created');
    expect(answers[5]!.id).toBeUndefined();
    // the shared statement, then each request on its own
    expect(inserts).toHaveLength(1 + 6);
    for (const k of keys) expect(await jobRows(k)).toHaveLength(1);
    expect(await jobRows(refusedKey)).toHaveLength(0);
  });
});

describe('lease-publish', () => {
  it('a failed publish keeps the job, releases its lease at once; the sweeper then publishes it once', async () => {
    const key = randomUUID();
    const { job } = await accept(key);
    const failing = createLeasePublisher({
      ...publishing,
      db,
      jobsTopic,
      publish: () => Promise.reject(new Error('broker down')),
    });
    const err = await failing(job.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishFailedError);
    expect((err as PublishFailedError).code).toBe('QUEUE_UNAVAILABLE');
    const [row] = await jobRows(key);
    expect(row).toMatchObject({ published_at: null, publish_lease_until: null });
    // the lease is free: a retry would take over instead of waiting out 15 s
    expect((await accept(key)).outcome).toBe('created');
    await db.execute(sql`update jobs set publish_lease_until = null where id = ${job.id}`);

    const swept = await sweepUnpublished({
      db,
      publish: (r) => publisher.publish(r),
      jobsTopic,
      publishing,
      olderThanMs: 0,
    });
    expect(swept).toBeGreaterThanOrEqual(1);
    const [after] = await jobRows(key);
    expect(after?.published_at).not.toBeNull();
    const records = await drainTopic(stack.kafka, jobsTopic, { settleMs: 1000 });
    expect(records.filter((r) => r.key === job.id)).toHaveLength(1);
  });

  it('a publish slower than the timeout fails and frees the lease', async () => {
    const key = randomUUID();
    const { job } = await accept(key);
    const hanging = createLeasePublisher({
      leaseMs: 15_000,
      timeoutMs: 200,
      db,
      jobsTopic,
      publish: () => new Promise(() => {}),
    });
    const started = Date.now();
    await expect(hanging(job.id)).rejects.toBeInstanceOf(PublishFailedError);
    expect(Date.now() - started).toBeLessThan(5_000);
    const [row] = await jobRows(key);
    expect(row?.publish_lease_until).toBeNull();
  });
});
