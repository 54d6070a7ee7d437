// The evaluator when PostgreSQL goes away (a TCP proxy between the evaluator and the database cuts
// every connection): database errors are not poison — nothing goes to the DLQ, no offset moves past
// an unfinished job, every job ends with exactly one result event, and an outage longer than the
// budget ends the invocation with nothing committed.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, createDatabase, type Database } from '../../lib/db/database.ts';
import { OpenAICompatibleProvider } from '../../lib/evaluation/providers/openai-compatible.ts';
import { createEvaluateHandler } from '../../lib/jobs/evaluate-handler.ts';
import { evaluateProgress } from '../../lib/jobs/evaluate-progress.ts';
import { runSession } from '../../lib/kafka/session.ts';
import { jobRequestRecord } from '../../lib/records/job-request.ts';
import { committedOffsets, testLogger } from '../helpers/engine.ts';
import { type FakeLlm, goodAnswer, startFakeLlm } from '../helpers/fake-llm.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { seedClient, seedJob } from '../helpers/jobs.ts';
import { drainTopic } from '../helpers/kafka.ts';
import { startTcpProxy, type TcpProxy, viaProxy } from '../helpers/tcp-proxy.ts';

const stack = await isolatedStack('outage');
let db: Database;
let fake: FakeLlm;
let proxy: TcpProxy;
/** CV evaluations per job, counted by the fake LLM from the CV text (each CV names its job) */
const cvCalls = new Map<string, number>();
/** test seam: runs on every request the fake LLM receives */
let onProviderCall: (() => void) | undefined;

beforeAll(async () => {
  db = createDatabase(stack.databaseUrl);
  const pg = new URL(stack.databaseUrl);
  proxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
  fake = await startFakeLlm([{ kind: 'answer', content: goodAnswer }], (body) => {
    const user = body.messages.find((m) => m.role === 'user')?.content ?? '';
    const marker = /CANDIDATE-([\w-]+)/.exec(user)?.[1];
    if (marker && user.includes('## Candidate CV')) cvCalls.set(marker, (cvCalls.get(marker) ?? 0) + 1);
    onProviderCall?.();
    return undefined;
  });
});
afterAll(async () => {
  await proxy?.close();
  await fake?.close();
  if (db) await closeDatabase(db);
});

async function scenario(name: string, jobs: number) {
  const t = {
    jobs: stack.topic(`${name}-jobs`),
    results: stack.topic(`${name}-results`),
    dlq: stack.topic(`${name}-dlq`),
  };
  await stack.createTopics(Object.values(t), 1);
  const client = await seedClient(db);
  const ids: string[] = [];
  for (let i = 0; i < jobs; i++) ids.push(await seedJob(db, client, `CV of CANDIDATE-${name}-${i}: Kafka.`));
  const producer = stack.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic: t.jobs, messages: ids.map((id) => jobRequestRecord(t.jobs, id)), acks: -1 });
  await producer.disconnect();
  return { ...t, ids, group: `${stack.prefix}-${name}` };
}

/** An evaluator invocation whose database connections go through the proxy. */
async function invocation(
  t: Awaited<ReturnType<typeof scenario>>,
  options: { budgetMs?: number; progress?: boolean; storeMaxDelayMs?: number } = {},
) {
  const evaluatorDb = createDatabase(viaProxy(stack.databaseUrl, proxy), { poolSize: 4 });
  const handler = createEvaluateHandler({
    db: evaluatorDb,
    provider: new OpenAICompatibleProvider({
      baseUrl: fake.url,
      model: 'fake',
      // generous: a provider timeout on a loaded machine would be a legitimate second call
      timeoutMs: 30_000,
      concurrency: 4,
      maxRetries: 0,
    }),
    resultsTopic: t.results,
    maxAttempts: 3,
    logger: testLogger,
    ...(options.storeMaxDelayMs ? { storeMaxDelayMs: options.storeMaxDelayMs } : {}),
  });
  try {
    const report = await runSession({
      kafka: stack.kafka,
      app: 'test',
      groupId: t.group,
      topic: t.jobs,
      dlqTopic: t.dlq,
      handler,
      logger: testLogger,
      maxIdleMs: 1500,
      sessionTimeoutMs: 6000,
      maxAttempts: 4,
      retryBackoffMs: 20,
      dependencyOutageBudgetMs: options.budgetMs ?? 30_000,
      // as deployed: the witness reads PostgreSQL while each partition is established
      ...(options.progress ? { progress: evaluateProgress(evaluatorDb) } : {}),
    });
    return { report, stats: handler.stats };
  } finally {
    await evaluatorDb.$client.end({ timeout: 1 }).catch(() => {});
  }
}

async function statuses(ids: string[]) {
  const rows = await db.execute<{ status: string }>(
    sql`select status from jobs where id in (${sql.join(
      ids.map((id) => sql`${id}::uuid`),
      sql`, `,
    )})`,
  );
  return rows.map((r) => r.status);
}

describe('evaluator during a database outage', () => {
  it('PostgreSQL unreachable for 4 s as the invocation starts → nothing in the DLQ, every job completed with one event, the provider called once per job', async () => {
    const t = await scenario('start', 6);
    proxy.cut();
    const restored = new Promise((r) => setTimeout(r, 4000)).then(() => proxy.restore());
    const { report } = await invocation(t);
    await restored;
    expect(report.dlq).toBe(0);
    expect(report.dependencyWaits).toBeGreaterThan(0);
    expect(await statuses(t.ids)).toEqual(t.ids.map(() => 'completed'));
    const events = await drainTopic(stack.kafka, t.results, { expected: 6 });
    expect(events.map((e) => e.key).sort()).toEqual([...t.ids].sort());
    expect(await drainTopic(stack.kafka, t.dlq, { settleMs: 500 })).toHaveLength(0);
    for (let i = 0; i < 6; i++) expect(cvCalls.get(`start-${i}`)).toBe(1);
  });

  it("the outcome write's acknowledgement is lost and PostgreSQL stays away for 3 s → one result event, nothing in the DLQ", async () => {
    const t = await scenario('lost-ack', 3);
    // The outcome write (one statement, so it commits on its own) reaches PostgreSQL and takes effect;
    // its answer never comes back. The SQL text is on the wire only the first time a connection runs the
    // prepared statement: this invocation's pool is new, so that is this write.
    void proxy.loseAnswerTo(/insert into "results"/, { atExecute: true }).then(() => {
      proxy.cut();
      setTimeout(() => void proxy.restore(), 3000);
    });
    // the three outcomes in one write, however slowly the machine evaluates them
    const { report, stats } = await invocation(t, { storeMaxDelayMs: 60_000 });
    expect(report.dlq).toBe(0);
    expect(stats.replayed).toBe(3);
    expect(await statuses(t.ids)).toEqual(t.ids.map(() => 'completed'));
    const events = await drainTopic(stack.kafka, t.results, { expected: 3 });
    expect(events.map((e) => e.key).sort()).toEqual([...t.ids].sort());
    expect(await drainTopic(stack.kafka, t.dlq, { settleMs: 500 })).toHaveLength(0);
  });

  it('PostgreSQL goes away while the provider evaluates (the outcome write fails) → after it is back the jobs are stored without calling the provider again', async () => {
    const t = await scenario('write', 4);
    let cut = false;
    onProviderCall = () => {
      if (cut) return;
      cut = true;
      proxy.cut();
      setTimeout(() => void proxy.restore(), 2000);
    };
    const { report } = await invocation(t);
    onProviderCall = undefined;
    expect(report.dlq).toBe(0);
    expect(await statuses(t.ids)).toEqual(t.ids.map(() => 'completed'));
    for (let i = 0; i < 4; i++) expect(cvCalls.get(`write-${i}`)).toBe(1);
    const counted = await db.execute<{ provider_calls: number }>(
      sql`select provider_calls from jobs where id in (${sql.join(
        t.ids.map((id) => sql`${id}::uuid`),
        sql`, `,
      )})`,
    );
    expect(counted.map((r) => r.provider_calls)).toEqual([1, 1, 1, 1]);
    expect(await drainTopic(stack.kafka, t.results, { expected: 4 })).toHaveLength(4);
    // One evaluation each, so one attempt each: the outage's retries of the same records count none
    // (found from outside: a 40 s lock on the results table left jobs evaluated once at attempts 3 of
    // EVALUATE_MAX_ATTEMPTS 3, so one later transient provider failure would have failed them for good).
    const attempts = await db.execute<{ attempts: number }>(
      sql`select attempts from jobs where id = any(${sql.param(t.ids)}::uuid[])`,
    );
    expect(attempts.map((r) => r.attempts)).toEqual([1, 1, 1, 1]);
  });

  it('a job evaluated whose outcome could not be stored, then retried in a batch a rebalance or stop aborts → its stored outcome keeps its one attempt (the retry counted none, so gives none back)', async () => {
    const t = await scenario('unsaved-abort', 1);
    const evaluatorDb = createDatabase(viaProxy(stack.databaseUrl, proxy), { poolSize: 2 });
    const handler = createEvaluateHandler({
      db: evaluatorDb,
      provider: new OpenAICompatibleProvider({
        baseUrl: fake.url,
        model: 'fake',
        timeoutMs: 30_000,
        concurrency: 1,
        maxRetries: 0,
      }),
      resultsTopic: t.results,
      maxAttempts: 3,
      logger: testLogger,
    });
    const request = jobRequestRecord(t.jobs, t.ids[0]!);
    const records = [
      {
        topic: t.jobs,
        partition: 0,
        offset: '0',
        key: Buffer.from(request.key),
        value: Buffer.from(request.value),
        headers: {},
        timestamp: String(Date.now()),
      },
    ];
    try {
      // the database goes away while the provider evaluates: the outcome is kept in memory, unstored
      onProviderCall = () => proxy.cut();
      await expect(handler({ topic: t.jobs, partition: 0, records, attempt: 1 })).rejects.toThrow();
      onProviderCall = undefined;
      await proxy.restore();
      // the same record again, in a batch whose signal fired (a rebalance, a stop's grace)
      const aborted = new AbortController();
      aborted.abort();
      await handler({ topic: t.jobs, partition: 0, records, attempt: 1, signal: aborted.signal });
    } finally {
      onProviderCall = undefined;
      await proxy.restore();
      await evaluatorDb.$client.end({ timeout: 1 }).catch(() => {});
    }
    expect(cvCalls.get('unsaved-abort-0')).toBe(1);
    expect(await statuses(t.ids)).toEqual(['completed']);
    const rows = await db.execute<{ attempts: number }>(
      sql`select attempts from jobs where id = any(${sql.param(t.ids)}::uuid[])`,
    );
    // one evaluation, one attempt (0 when the aborted retry gave back an attempt it never counted)
    expect(rows.map((r) => Number(r.attempts))).toEqual([1]);
  });

  it('a group of provider-call claims loses its acknowledgement (the counts took effect, the answer never came back) → the retry is not counted again: one call per job, counted once', async () => {
    // three jobs whose texts load together claim in one statement (lib/db/effects.ts claimProviderCalls)
    const t = await scenario('lost-claim', 3);
    void proxy.loseAnswerTo(/provider_calls/i, { atExecute: true }).then(() => {
      proxy.cut();
      setTimeout(() => void proxy.restore(), 2000);
    });
    const { report } = await invocation(t);
    expect(report.dlq).toBe(0);
    expect(report.dependencyWaits).toBeGreaterThan(0);
    expect(await statuses(t.ids)).toEqual(['completed', 'completed', 'completed']);
    expect([0, 1, 2].map((i) => cvCalls.get(`lost-claim-${i}`))).toEqual([1, 1, 1]);
    const counted = await db.execute<{ provider_calls: number }>(
      sql`select provider_calls from jobs where id = any(${sql.param(t.ids)}::uuid[])`,
    );
    expect(counted.map((r) => r.provider_calls)).toEqual([1, 1, 1]);
  });

  it('an outage longer than the budget ends the invocation with stopReason dependency-unavailable and no offset committed; the next one completes the jobs', async () => {
    const t = await scenario('budget', 2);
    proxy.cut();
    const first = await invocation(t, { budgetMs: 2000 });
    expect(first.report.stopReason).toBe('dependency-unavailable');
    expect(first.report.commits).toBe(0);
    expect((await committedOffsets(stack.kafka, t.group, t.jobs)).get(0)).toBe('-1');
    await proxy.restore();
    const second = await invocation(t);
    expect(second.report.records).toBe(2);
    expect(await statuses(t.ids)).toEqual(['completed', 'completed']);
    expect(await drainTopic(stack.kafka, t.results, { expected: 2 })).toHaveLength(2);
  });

  it('with the progress witness, an outage while the partition is established counts against the budget too: dependency-unavailable, nothing committed', async () => {
    const t = await scenario('establish', 2);
    proxy.cut();
    const started = Date.now();
    // without the budget here, step 1 was retried every 500 ms until the invocation's duration ran out
    const first = await invocation(t, { budgetMs: 2000, progress: true });
    expect(first.report.stopReason).toBe('dependency-unavailable');
    expect(first.report.dependencyWaits).toBeGreaterThan(0);
    expect(first.report.commits).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    await proxy.restore();
    const second = await invocation(t, { progress: true });
    expect(second.report.records).toBe(2);
    expect(await statuses(t.ids)).toEqual(['completed', 'completed']);
    expect(await drainTopic(stack.kafka, t.results, { expected: 2 })).toHaveLength(2);
  });
});
