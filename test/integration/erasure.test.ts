// Personal data on the real PostgreSQL and Kafka: erasing a job or an upload leaves nothing of the
// document in any table and a tombstone for the job's key on the results topic; a job erased before or
// while it is evaluated is cancelled (no result, no DLQ), even when its request record is replayed;
// retention erases what is older than RETENTION_DAYS.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, createDatabase, type Database } from '../../lib/db/database.ts';
import { createDeliveries } from '../../lib/db/webhooks.ts';
import { OfflineProvider } from '../../lib/evaluation/providers/offline.ts';
import type { Provider } from '../../lib/evaluation/types.ts';
import { eraseClientJob, eraseClientUpload } from '../../lib/jobs/erasure.ts';
import { createEvaluateHandler } from '../../lib/jobs/evaluate-handler.ts';
import { sweepRetention } from '../../lib/jobs/retention.ts';
import { RequestPublisher } from '../../lib/kafka/request-publisher.ts';
import { runSession } from '../../lib/kafka/session.ts';
import { jobRequestRecord } from '../../lib/records/job-request.ts';
import { testLogger } from '../helpers/engine.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { seedClient, seedJob } from '../helpers/jobs.ts';
import { drainTopic } from '../helpers/kafka.ts';

const stack = await isolatedStack('erasure');
const topics = { jobs: stack.topic('jobs'), results: stack.topic('results'), dlq: stack.topic('dlq') };
let db: Database;
let publisher: RequestPublisher;
const publish = (r: Parameters<RequestPublisher['publish']>[0]) => publisher.publish(r);
const publishAll = (rs: Parameters<RequestPublisher['publishAll']>[0]) => publisher.publishAll(rs);

beforeAll(async () => {
  await stack.createTopics(Object.values(topics), 2);
  db = createDatabase(stack.databaseUrl, { poolSize: 6 });
  publisher = new RequestPublisher({
    kafka: stack.kafka,
    app: stack.prefix,
    instanceId: 'erasure',
    slots: 1,
    logger: testLogger,
  });
});
afterAll(async () => {
  await publisher?.close();
  if (db) await closeDatabase(db);
});

/** Every row of every table in the public schema, as text: where a document's words would be. */
async function everyRow(): Promise<string> {
  const tables = await db.execute<{ table_name: string }>(
    sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
  );
  expect(tables.length).toBeGreaterThanOrEqual(7);
  let all = '';
  for (const { table_name } of tables) {
    const rows = await db.execute(sql.raw(`select t::text as row from "${table_name}" t`));
    all += rows.map((r) => String((r as { row: string }).row)).join('\n');
  }
  return all;
}

async function evaluateAll(group: string, provider: Provider = new OfflineProvider()) {
  const handler = createEvaluateHandler({
    db,
    provider,
    resultsTopic: topics.results,
    maxAttempts: 2,
    logger: testLogger,
  });
  const report = await runSession({
    kafka: stack.kafka,
    app: `${stack.prefix}-${group}`,
    groupId: `${stack.prefix}-${group}`,
    topic: topics.jobs,
    dlqTopic: topics.dlq,
    handler,
    logger: testLogger,
    maxIdleMs: 1500,
    sessionTimeoutMs: 6000,
    maxAttempts: 3,
    retryBackoffMs: 20,
  });
  return { report, stats: handler.stats };
}

const count = async (q: ReturnType<typeof sql>) =>
  Number(((await db.execute<{ n: number }>(q))[0] as { n: number }).n);

/** the job's tombstones on the results topic, read afresh under read_committed */
const tombstonesOf = async (jobId: string) =>
  (await drainTopic(stack.kafka, topics.results, { settleMs: 500 })).filter(
    (e) => e.key === jobId && e.value === null,
  ).length;

/** a retention sweep that erases nothing (days 0): only the tombstones it owes, as at `now` */
const sweep = (now = new Date()) =>
  sweepRetention({ db, publishAll, resultsTopic: topics.results, days: 0, logger: testLogger, now });
const inMinutes = (m: number) => new Date(Date.now() + m * 60_000);

/** seconds from the job's erasure to when its tombstone is due; null when none is owed */
const dueAfterErasure = async (jobId: string) => {
  const [row] = await db.execute<{ s: number | null }>(
    sql`select extract(epoch from tombstone_due_at - erased_at)::int as s from erased_jobs where job_id = ${jobId}::uuid`,
  );
  return row!.s;
};

describe('erasure', () => {
  it('DELETE a job: nothing of the document in any table, a tombstone on the results topic', async () => {
    const client = await seedClient(db);
    const marker = `ZEBRA-${Date.now()}`;
    const jobId = await seedJob(db, client, `CV of ${marker}: TypeScript, Kafka, PostgreSQL.`);
    await publish(jobRequestRecord(topics.jobs, jobId));
    const { stats } = await evaluateAll('g1');
    expect(stats.evaluated).toBe(1);
    // negative control: before erasure the marker is found (so the search below can fail)
    expect(await everyRow()).toContain(marker);
    expect(await count(sql`select count(*)::int as n from results where job_id = ${jobId}::uuid`)).toBe(1);

    const erased = await eraseClientJob({ db, publish, resultsTopic: topics.results }, client, jobId);
    expect(erased).toMatchObject({ jobIds: [jobId], tombstoned: true });
    const rows = await everyRow();
    expect(rows).not.toContain(marker);
    expect(rows).not.toContain('TypeScript, Kafka');
    expect(await count(sql`select count(*)::int as n from results where job_id = ${jobId}::uuid`)).toBe(0);

    const events = (await drainTopic(stack.kafka, topics.results, { expected: 2 })).filter(
      (e) => e.key === jobId,
    );
    expect(events.map((e) => (e.value === null ? 'tombstone' : 'result'))).toEqual(['result', 'tombstone']);

    // a replay of the request record: skipped, no result, no DLQ
    await publish(jobRequestRecord(topics.jobs, jobId));
    const again = await evaluateAll('g1');
    expect(again.stats).toMatchObject({ evaluated: 0, poison: 0 });
    expect(await count(sql`select count(*)::int as n from results where job_id = ${jobId}::uuid`)).toBe(0);
    // another client cannot erase it, nor find it
    expect(
      await eraseClientJob({ db, publish, resultsTopic: topics.results }, await seedClient(db), jobId),
    ).toBeUndefined();
  });

  it('DELETE a job whose result was announced by webhook: the delivery (which carries the result) goes too; a late result event for it creates none', async () => {
    const client = await seedClient(db);
    const marker = `OKAPI-${Date.now()}`;
    const jobId = await seedJob(db, client, `CV of ${marker}.`);
    const other = await seedJob(db, client, `CV of someone else.`);
    await db.execute(sql`insert into webhook_endpoints (client_id, url, event_types)
      values (${client}::uuid, 'https://hooks.example.com/cv', array['evaluation.completed'])`);
    const event = (id: string, offset: bigint) => ({
      jobId: id,
      clientId: client,
      eventType: 'evaluation.completed',
      payload: JSON.stringify({ job_id: id, feedback: `about ${marker}` }),
      sourceOffset: offset,
    });
    await createDeliveries(db, 0, [event(jobId, 0n)]);
    const deliveries = (id: string) =>
      count(sql`select count(*)::int as n from webhook_deliveries where job_id = ${id}::uuid`);
    expect(await deliveries(jobId)).toBe(1);
    expect(await everyRow()).toContain(marker); // the control: the search below can fail

    const erased = await eraseClientJob({ db, publish, resultsTopic: topics.results }, client, jobId);
    expect(erased).toMatchObject({ jobIds: [jobId] });
    expect(await deliveries(jobId)).toBe(0);
    expect(await everyRow()).not.toContain(marker);

    // notify reading the erased job's result event late, in a group with a live job's: the live one's
    // delivery is created, the erased one's is not, and nothing fails
    await createDeliveries(db, 0, [event(jobId, 1n), event(other, 2n)]);
    expect([await deliveries(jobId), await deliveries(other)]).toEqual([0, 1]);
  });

  it('a job erased while it is evaluated gets no result: cancelled, not resurrected', async () => {
    const client = await seedClient(db);
    const marker = `OKAPI-${Date.now()}`;
    const jobId = await seedJob(db, client, `CV of ${marker}`);
    await publish(jobRequestRecord(topics.jobs, jobId));
    const offline = new OfflineProvider();
    let erasedDuring = false;
    const erasingProvider: Provider = Object.assign(Object.create(offline), {
      complete: async (request: Parameters<Provider['complete']>[0]) => {
        if (!erasedDuring) {
          erasedDuring = true;
          await eraseClientJob({ db, publish, resultsTopic: topics.results }, client, jobId);
        }
        return offline.complete(request);
      },
    });
    const { stats } = await evaluateAll('g2', erasingProvider);
    expect(erasedDuring).toBe(true);
    expect(stats.poison).toBe(0);
    expect(await count(sql`select count(*)::int as n from results where job_id = ${jobId}::uuid`)).toBe(0);
    expect(await everyRow()).not.toContain(marker);
    const dlq = await drainTopic(stack.kafka, topics.dlq, { settleMs: 500 });
    expect(dlq.filter((r) => r.key === jobId)).toHaveLength(0);
  });

  it('DELETE an upload erases it and every job that used it', async () => {
    const client = await seedClient(db);
    const marker = `IBEX-${Date.now()}`;
    const jobId = await seedJob(db, client, `CV of ${marker}`);
    const [job] = await db.execute<{ cv_id: string }>(sql`select cv_id from jobs where id = ${jobId}::uuid`);
    const erased = await eraseClientUpload({ db, publish, resultsTopic: topics.results }, client, job!.cv_id);
    expect(erased?.jobIds).toEqual([jobId]);
    expect(await everyRow()).not.toContain(marker);
    expect(await count(sql`select count(*)::int as n from erased_jobs where job_id = ${jobId}::uuid`)).toBe(
      1,
    );
  });

  it('retention erases uploads and jobs older than RETENTION_DAYS, and keeps the rest', async () => {
    const client = await seedClient(db);
    const oldMarker = `OLD-${Date.now()}`;
    const newMarker = `NEW-${Date.now()}`;
    const oldJob = await seedJob(db, client, `CV of ${oldMarker}`);
    const newJob = await seedJob(db, client, `CV of ${newMarker}`);
    await db.execute(sql`update jobs set created_at = now() - interval '40 days' where id = ${oldJob}::uuid`);
    await db.execute(sql`update uploads set created_at = now() - interval '40 days'
      where id in (select cv_id from jobs where id = ${oldJob}::uuid union select project_id from jobs where id = ${oldJob}::uuid)`);
    const r = await sweepRetention({
      db,
      publishAll,
      resultsTopic: topics.results,
      days: 30,
      logger: testLogger,
    });
    expect(r.jobs).toBeGreaterThanOrEqual(1);
    const rows = await everyRow();
    expect(rows).not.toContain(oldMarker);
    expect(rows).toContain(newMarker);
    expect(await count(sql`select count(*)::int as n from jobs where id = ${newJob}::uuid`)).toBe(1);
    // its tombstone goes out with the erasure, and the next invocations' sweeps do not send it again
    await sweep();
    await sweep(inMinutes(5));
    expect(await tombstonesOf(oldJob)).toBe(1);
  });
});

describe('tombstones', () => {
  it("an erasure's tombstone is published once: later sweeps leave it, but for one more after the hour in which a result could still follow it", async () => {
    const client = await seedClient(db);
    const jobId = await seedJob(db, client, 'CV of someone erased');
    const erased = await eraseClientJob({ db, publish, resultsTopic: topics.results }, client, jobId);
    expect(erased?.tombstoned).toBe(true);
    expect(await dueAfterErasure(jobId)).toBe(3600);
    // the sweeps of evaluate --loop (every few seconds), then past the minute an unmarked one waits
    for (const at of [new Date(), new Date(), inMinutes(2), inMinutes(5)]) await sweep(at);
    expect(await tombstonesOf(jobId)).toBe(1);
    // once the hour is over: one more, then never again
    for (const at of [inMinutes(61), inMinutes(62), inMinutes(120)]) await sweep(at);
    expect(await tombstonesOf(jobId)).toBe(2);
    expect(await dueAfterErasure(jobId)).toBeNull();
  });

  it('a tombstone whose publish failed is sent by the first sweep a minute after the erasure, once', async () => {
    const client = await seedClient(db);
    const jobId = await seedJob(db, client, 'CV of someone erased while the broker was away');
    const away = () => Promise.reject(new Error('broker away'));
    const erased = await eraseClientJob(
      { db, publish: away, resultsTopic: topics.results, logger: testLogger },
      client,
      jobId,
    );
    expect(erased).toMatchObject({ jobIds: [jobId], tombstoned: false });
    expect(await dueAfterErasure(jobId)).toBe(60);
    await sweep(); // within the minute: the eraser's own publish could still be under way
    expect(await tombstonesOf(jobId)).toBe(0);
    for (const at of [inMinutes(2), inMinutes(3), inMinutes(4)]) await sweep(at);
    expect(await tombstonesOf(jobId)).toBe(1);
    expect(await dueAfterErasure(jobId)).toBe(3600);
  });

  it('a tombstone published but not marked (the process died between the commit and the mark) is sent once more: harmless', async () => {
    const client = await seedClient(db);
    const jobId = await seedJob(db, client, 'CV of someone erased by a process that died');
    await eraseClientJob({ db, publish, resultsTopic: topics.results }, client, jobId);
    // the row as the erasure left it, before the mark
    await db.execute(
      sql`update erased_jobs set tombstone_due_at = erased_at + interval '1 minute' where job_id = ${jobId}::uuid`,
    );
    for (const at of [inMinutes(2), inMinutes(3), inMinutes(4)]) await sweep(at);
    expect(await tombstonesOf(jobId)).toBe(2);
  });
});
