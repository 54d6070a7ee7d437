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
  const rows = await insertUploads(
    db,
    (['cv', 'project'] as const).map((kind) => ({
      clientId,
      kind,
      filename: `${kind}.txt`,
      mediaType: 'text/plain',
      sizeBytes: 4,
      sha256: '0'.repeat(64),
      extractedText: `${kind} text`,
    })),
  );
  request = {
    cv_id: rows.find((r) => r.kind === 'cv')!.id,
    project_id: rows.find((r) => r.kind === 'project')!.id,
  };
});
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

  it('each request gets its own answer: created, the same key twice, a foreign upload, over the budget', async () => {
    inserts.length = 0;
    const keys = Array.from({ length: 20 }, () => randomUUID());
    const twice = randomUUID();
    const foreign = { ...request, cv_id: randomUUID() };
    const [overKey, foreignKey] = [randomUUID(), randomUUID()];
    const answers = await Promise.all([
      ...keys.map((k) => acceptOn(k)),
      acceptOn(twice),
      acceptOn(twice),
      acceptOn(twice),
      acceptOn(foreignKey, foreign),
      acceptOn(overKey, request, 5),
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
    for (const k of [...keys, twice]) expect(await jobRows(k)).toHaveLength(1);
    expect(await jobRows(foreignKey)).toHaveLength(0);
    expect(await jobRows(overKey)).toHaveLength(0);
  });

  it("an outage fails the statement's requests at once, each with the outage's error, retrying none", async () => {
    // the jobs table locked by another session and a 300 ms statement timeout: the shared insert is
    // canceled (57014), which lib/db/errors.ts counts as the database being unavailable
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
