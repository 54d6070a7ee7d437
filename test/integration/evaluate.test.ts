// The evaluator end to end on the real broker and PostgreSQL: submit → evaluate → result; a crash
// between the database commit and the Kafka commit; a duplicate request record; a poison record.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, createDatabase, type Database } from '../../lib/db/database.ts';
import { loadResults, type NewOutcome, recordOutcomes } from '../../lib/db/effects.ts';
import { OfflineProvider } from '../../lib/evaluation/providers/offline.ts';
import { OpenAICompatibleProvider } from '../../lib/evaluation/providers/openai-compatible.ts';
import type { Provider } from '../../lib/evaluation/types.ts';
import { createEvaluateHandler } from '../../lib/jobs/evaluate-handler.ts';
import { DLQ_HEADERS } from '../../lib/kafka/dlq.ts';
import { runSession } from '../../lib/kafka/session.ts';
import { jobRequestRecord } from '../../lib/records/job-request.ts';
import { resultEvent, resultEventRecord } from '../../lib/records/result-event.ts';
import { type ApiHarness, apiHarness, uploadForm } from '../helpers/api.ts';
import { crashEvaluatorAtCommit } from '../helpers/child.ts';
import { testLogger } from '../helpers/engine.ts';
import { type FakeLlm, goodAnswer, startFakeLlm } from '../helpers/fake-llm.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { seedClient, seedJob } from '../helpers/jobs.ts';
import { drainTopic } from '../helpers/kafka.ts';

const stack = await isolatedStack('evaluate');
let h: ApiHarness;
let db: Database;
let fake: FakeLlm;
/** provider calls per job, counted by the fake LLM from the CV text (each test job's CV names its job) */
const cvCalls = new Map<string, number>();

beforeAll(async () => {
  h = await apiHarness(stack);
  db = createDatabase(stack.databaseUrl);
  fake = await startFakeLlm([{ kind: 'answer', content: goodAnswer }], (body) => {
    const user = body.messages.find((m) => m.role === 'user')?.content ?? '';
    const marker = /CANDIDATE-([\w-]+)/.exec(user)?.[1];
    if (marker && user.includes('## Candidate CV')) cvCalls.set(marker, (cvCalls.get(marker) ?? 0) + 1);
    if (user.includes('POISON')) return { kind: 'status', status: 500 };
    return undefined;
  });
});
afterAll(async () => {
  await fake?.close();
  if (db) await closeDatabase(db);
  await h?.close();
});

const session = (o: {
  group: string;
  jobs: string;
  results: string;
  dlq: string;
  provider?: 'offline' | 'fake';
  maxAttempts?: number;
}) => {
  const handler = createEvaluateHandler({
    db,
    provider:
      o.provider === 'fake'
        ? new OpenAICompatibleProvider({
            baseUrl: fake.url,
            model: 'fake',
            timeoutMs: 5000,
            concurrency: 4,
            maxRetries: 0,
          })
        : new OfflineProvider(),
    resultsTopic: o.results,
    maxAttempts: o.maxAttempts ?? 3,
    logger: testLogger,
  });
  return runSession({
    kafka: stack.kafka,
    app: 'test',
    groupId: o.group,
    topic: o.jobs,
    dlqTopic: o.dlq,
    handler,
    logger: testLogger,
    maxIdleMs: 1500,
    sessionTimeoutMs: 6000,
    maxAttempts: (o.maxAttempts ?? 3) + 1,
    retryBackoffMs: 20,
  }).then((report) => ({ report, stats: handler.stats }));
};

async function publishRaw(topic: string, records: { key: string | null; value: string }[]) {
  const producer = stack.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic, messages: records, acks: -1 });
  await producer.disconnect();
}

describe('evaluate function', () => {
  it('end to end: submit → evaluate → GET /v1/result completed, and exactly one result event equal to the stored result', async () => {
    const up = (await (
      await h.app.request('/v1/upload', {
        method: 'POST',
        headers: { authorization: `Bearer ${h.keyA}` },
        body: uploadForm({
          cv: {
            bytes: 'Senior engineer, 7 years of TypeScript, Kafka, PostgreSQL, Docker; led a team.',
            name: 'cv.txt',
          },
          project: {
            bytes: 'Report: endpoints, asynchronous queue, retries with backoff, README with setup.',
            name: 'r.txt',
          },
        }),
      })
    ).json()) as { cv_id: string; project_id: string };
    const accepted = await h.app.request('/v1/evaluate', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${h.keyA}`,
        'content-type': 'application/json',
        'idempotency-key': 'e2e-1',
      },
      body: JSON.stringify({ cv_id: up.cv_id, project_id: up.project_id }),
    });
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };

    const { report, stats } = await session({ group: `${stack.prefix}-e2e`, ...h.topics });
    expect(report.records).toBeGreaterThanOrEqual(1);
    expect(stats.evaluated).toBeGreaterThanOrEqual(1);

    const res = await h.app.request(`/v1/result/${id}`, { headers: { authorization: `Bearer ${h.keyA}` } });
    const body = (await res.json()) as {
      status: string;
      result: { cv_match_rate: number; project_score: number };
      provenance: { provider: string };
    };
    expect(body.status).toBe('completed');
    expect(body.result.cv_match_rate).toBeGreaterThan(0);
    expect(body.result.project_score).toBeGreaterThanOrEqual(2);
    expect(body.provenance.provider).toBe('offline');

    const events = (await drainTopic(stack.kafka, h.topics.results, { expected: 1 })).filter(
      (e) => e.key === id,
    );
    expect(events).toHaveLength(1);
    const stored = (await loadResults(db, [id])).get(id)!;
    // byte for byte: the first emission maps the outcome write's returned row, a replay a row read back
    expect(events[0]!.value).toBe(resultEventRecord(h.topics.results, stored).value);
  });

  it('the outcome write stores text cut inside a surrogate pair as U+FFFD (as a text parameter would), and keeps the first of a job given twice', async () => {
    const client = await seedClient(db);
    const [a, b] = [await seedJob(db, client, 'CV a'), await seedJob(db, client, 'CV b')];
    const failed = (jobId: string, errorMessage: string, offset: number): NewOutcome => ({
      jobId,
      outcome: 'failed',
      errorCode: 'EVALUATION_FAILED',
      errorMessage,
      provenance: {},
      sourcePartition: 0,
      sourceOffset: BigInt(offset),
    });
    const cut = 'the provider said 😀'.slice(0, -1); // a lone high surrogate at the end
    const won = await recordOutcomes(db, [failed(a, cut, 1), failed(b, 'first', 2), failed(b, 'second', 3)]);
    expect(won.get(a)?.errorMessage).toBe('the provider said \uFFFD');
    expect(won.get(b)?.errorMessage).toBe('first');
    const stored = await loadResults(db, [a, b]);
    expect(stored.get(b)?.sourceOffset).toBe(2n);
    expect(stored.get(a)).toEqual(won.get(a));
  });

  it('two owners storing the same jobs at once, given in opposite orders: no deadlock, one result per job', async () => {
    const client = await seedClient(db);
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push(await seedJob(db, client, `CV ${i}`));
    const outcome = (jobId: string, offset: number): NewOutcome => ({
      jobId,
      outcome: 'failed',
      errorCode: 'EVALUATION_FAILED',
      errorMessage: `by ${offset}`,
      provenance: {},
      sourcePartition: 0,
      sourceOffset: BigInt(offset),
    });
    const other = createDatabase(stack.databaseUrl);
    try {
      await other.execute(sql`select 1`); // connected: the two writes start together
      for (let round = 0; round < 10; round++) {
        const [x, y] = await Promise.all([
          recordOutcomes(
            db,
            ids.map((id) => outcome(id, 1)),
          ),
          recordOutcomes(
            other,
            [...ids].reverse().map((id) => outcome(id, 2)),
          ),
        ]);
        // each job's stored row is the same in both answers, whoever won it
        for (const id of ids) expect(x.get(id)).toEqual(y.get(id));
        await db.execute(sql`delete from results where job_id in ${sql.raw(`('${ids.join("','")}')`)}`);
      }
    } finally {
      await closeDatabase(other);
    }
  });

  it('SIGKILL between the database commit and the Kafka commit → the next invocation emits the result exactly once; the provider was called once per job', async () => {
    const t = {
      jobs: stack.topic('crash-jobs'),
      results: stack.topic('crash-results'),
      dlq: stack.topic('crash-dlq'),
    };
    await stack.createTopics(Object.values(t), 1);
    const client = await seedClient(db);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(await seedJob(db, client, `CV of CANDIDATE-crash-${i}: TypeScript and Kafka.`));
    await publishRaw(
      t.jobs,
      ids.map((id) => jobRequestRecord(t.jobs, id)),
    );
    const group = `${stack.prefix}-crash`;

    const crashed = await crashEvaluatorAtCommit({
      brokers: stack.brokers,
      databaseUrl: stack.databaseUrl,
      group,
      topics: t,
      llmUrl: fake.url,
    });
    expect(crashed.signal).toBe('SIGKILL');
    // The outcomes were committed in PostgreSQL before the crash; the Kafka transaction was not.
    expect((await loadResults(db, ids)).size).toBe(5);
    expect(await drainTopic(stack.kafka, t.results, { settleMs: 1000 })).toHaveLength(0);

    const { stats } = await session({ group, ...t, provider: 'fake' });
    expect(stats.replayed).toBe(5);
    expect(stats.evaluated).toBe(0);
    const events = await drainTopic(stack.kafka, t.results, { expected: 5 });
    expect(events.map((e) => e.key).sort()).toEqual([...ids].sort());
    for (let i = 0; i < 5; i++) expect(cvCalls.get(`crash-${i}`)).toBe(1);
  });

  it('a job that gave up, replayed after a SIGKILL between the database and Kafka commits → its failed event and its DLQ record, each exactly once', async () => {
    const t = {
      jobs: stack.topic('giveup-jobs'),
      results: stack.topic('giveup-results'),
      dlq: stack.topic('giveup-dlq'),
    };
    await stack.createTopics(Object.values(t), 1);
    const client = await seedClient(db);
    const id = await seedJob(db, client, 'CV of CANDIDATE-giveup POISON');
    await publishRaw(t.jobs, [jobRequestRecord(t.jobs, id)]);
    const group = `${stack.prefix}-giveup`;
    const crashed = await crashEvaluatorAtCommit({
      brokers: stack.brokers,
      databaseUrl: stack.databaseUrl,
      group,
      topics: t,
      llmUrl: fake.url,
    });
    expect(crashed.signal).toBe('SIGKILL');
    expect((await loadResults(db, [id])).get(id)?.outcome).toBe('failed');

    const { stats } = await session({ group, ...t, provider: 'fake' });
    expect(stats.replayed).toBe(1);
    const dlq = await drainTopic(stack.kafka, t.dlq, { expected: 1 });
    expect(dlq.map((r) => [r.key, r.headers[DLQ_HEADERS.code]])).toEqual([[id, 'PROVIDER_UNAVAILABLE']]);
    const events = await drainTopic(stack.kafka, t.results, { expected: 1 });
    expect(events.map((e) => [e.key, JSON.parse(e.value!).status])).toEqual([[id, 'failed']]);
  });

  it('a duplicate request record for a completed job → no second event, no second provider call', async () => {
    const t = {
      jobs: stack.topic('dup-jobs'),
      results: stack.topic('dup-results'),
      dlq: stack.topic('dup-dlq'),
    };
    await stack.createTopics(Object.values(t), 1);
    const client = await seedClient(db);
    const id = await seedJob(db, client, 'CV of CANDIDATE-dup-0: Kafka.');
    const group = `${stack.prefix}-dup`;
    await publishRaw(t.jobs, [jobRequestRecord(t.jobs, id)]);
    const first = await session({ group, ...t, provider: 'fake' });
    expect(first.stats.evaluated).toBe(1);
    await publishRaw(t.jobs, [jobRequestRecord(t.jobs, id)]);
    const second = await session({ group, ...t, provider: 'fake' });
    expect(second.stats.duplicates).toBe(1);
    expect(second.stats.evaluated).toBe(0);
    expect(cvCalls.get('dup-0')).toBe(1);
    expect(await drainTopic(stack.kafka, t.results, { expected: 1 })).toHaveLength(1);
  });

  it("an outcome the partition's previous owner stored between this batch's read and its provider claim is emitted, not dropped", async () => {
    // The previous owner stored the outcome, then lost its transaction (fenced); the new owner had read
    // the results a moment before. Its claim is refused (stored: paid once), and the record's event must
    // still come from this batch — before the fix nobody emitted it and the offset moved past (G3).
    const client = await seedClient(db);
    const id = await seedJob(db, client, 'CV of CANDIDATE-late-0: Kafka.');
    const request = jobRequestRecord('late-jobs', id);
    const record = {
      topic: 'late-jobs',
      partition: 3,
      offset: '41',
      key: Buffer.from(request.key),
      value: Buffer.from(request.value),
      headers: {},
      timestamp: String(Date.now()),
    };
    const options = { db, provider: new OfflineProvider(), resultsTopic: 'late-results', maxAttempts: 3 };
    const previousOwner = createEvaluateHandler(options);
    let previousOutputs = 0;
    const handler = createEvaluateHandler({
      ...options,
      beforeClaim: async () => {
        const r = await previousOwner({ topic: 'late-jobs', partition: 3, records: [record], attempt: 1 });
        previousOutputs = r.outputs.length; // then lost with its transaction
      },
    });
    const out = await handler({ topic: 'late-jobs', partition: 3, records: [record], attempt: 1 });
    expect(previousOutputs).toBe(1);
    expect(previousOwner.stats.evaluated).toBe(1);
    expect(handler.stats.evaluated).toBe(0); // the provider is paid once
    expect(out.outputs.map((m) => m.key)).toEqual([id]);
    const stored = (await loadResults(db, [id])).get(id)!;
    expect(JSON.parse(String(out.outputs[0]!.value))).toEqual(resultEvent(stored));
    // another record of the same job (a duplicate request) still emits nothing
    const duplicate = await createEvaluateHandler(options)({
      topic: 'late-jobs',
      partition: 3,
      records: [{ ...record, offset: '42' }],
      attempt: 1,
    });
    expect(duplicate.outputs).toEqual([]);
  });

  it('a batch a rebalance stops before its jobs reach the provider gives their attempts back', async () => {
    // A rebalance is routine (an invocation joins or leaves): it must not bring a job nearer to giving up.
    const client = await seedClient(db);
    const ids = [
      await seedJob(db, client, 'CV of CANDIDATE-rebalanced-0: Kafka.'),
      await seedJob(db, client, 'CV of CANDIDATE-rebalanced-1: Kafka.'),
    ];
    const records = ids.map((id, i) => {
      const request = jobRequestRecord('rebalanced-jobs', id);
      return {
        topic: 'rebalanced-jobs',
        partition: 0,
        offset: String(i),
        key: Buffer.from(request.key),
        value: Buffer.from(request.value),
        headers: {},
        timestamp: String(Date.now()),
      };
    });
    const stopped = new AbortController();
    stopped.abort(); // the heartbeat reported the rebalance before the batch's evaluations began
    const handler = createEvaluateHandler({
      db,
      provider: new OfflineProvider(),
      resultsTopic: 'rebalanced-results',
      maxAttempts: 3,
    });
    const out = await handler({
      topic: 'rebalanced-jobs',
      partition: 0,
      records,
      attempt: 1,
      signal: stopped.signal,
    });
    expect(handler.stats.evaluated).toBe(0);
    expect(out.outputs).toEqual([]);
    const rows = await db.execute<{ attempts: number }>(
      sql`select attempts from jobs where id = any(${sql.param(ids)}::uuid[])`,
    );
    expect([...rows].map((r) => Number(r.attempts))).toEqual([0, 0]);
  });

  it('poison: a malformed record and a job that always fails go to the DLQ, the job is failed with a reason, later records still flow', async () => {
    const t = {
      jobs: stack.topic('poison-jobs'),
      results: stack.topic('poison-results'),
      dlq: stack.topic('poison-dlq'),
    };
    await stack.createTopics(Object.values(t), 1);
    const client = await seedClient(db);
    const poisonJob = await seedJob(db, client, 'CV of CANDIDATE-poison POISON');
    const later = [
      await seedJob(db, client, 'CV of CANDIDATE-later-0'),
      await seedJob(db, client, 'CV of CANDIDATE-later-1'),
    ];
    await publishRaw(t.jobs, [
      { key: null, value: 'this is not a job request' },
      jobRequestRecord(t.jobs, poisonJob),
      ...later.map((id) => jobRequestRecord(t.jobs, id)),
    ]);
    const { report, stats } = await session({
      group: `${stack.prefix}-poison`,
      ...t,
      provider: 'fake',
      maxAttempts: 2,
    });
    expect(report.dlq).toBe(2);
    expect(stats.failed).toBe(1);

    const dlq = await drainTopic(stack.kafka, t.dlq, { expected: 2 });
    expect(dlq.map((r) => r.headers[DLQ_HEADERS.code]).sort()).toEqual([
      'MALFORMED_RECORD',
      'PROVIDER_UNAVAILABLE',
    ]);
    expect(dlq.find((r) => r.key === poisonJob)?.headers[DLQ_HEADERS.attempts]).toBe('2');

    const [job] = await db.execute<{ status: string; error_code: string; error_message: string }>(
      sql`select status, error_code, error_message from jobs where id = ${poisonJob}`,
    );
    expect(job).toMatchObject({ status: 'failed', error_code: 'PROVIDER_UNAVAILABLE' });
    expect(job?.error_message).toMatch(/gave up after 2 attempts/);

    const events = await drainTopic(stack.kafka, t.results, { expected: 3 });
    const byKey = new Map(events.map((e) => [e.key, JSON.parse(e.value!)]));
    expect(byKey.get(poisonJob)).toMatchObject({ status: 'failed', error: { code: 'PROVIDER_UNAVAILABLE' } });
    for (const id of later) expect(byKey.get(id)).toMatchObject({ status: 'completed' });
    expect(events).toHaveLength(3);
  });

  it('outcomes are stored as evaluations end: a batch killed before its last job has stored the others, and the next owner pays only for that one', async () => {
    // Before, a batch stored its outcomes once every evaluation had ended: an invocation killed while
    // one job was slow lost the whole batch's evaluations, and the next owner paid for all of them again.
    const client = await seedClient(db);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await seedJob(db, client, `CV of CANDIDATE-early-${i}: Kafka.`));
    const records = ids.map((id, i) => requestRecord('early-jobs', 2, i, id));
    const slow = ids.at(-1)!;
    const options = { db, provider: new OfflineProvider(), resultsTopic: 'early-results', maxAttempts: 3 };
    let unblock!: () => void;
    const blocked = new Promise<void>((resolve) => {
      unblock = resolve;
    });
    const killed = createEvaluateHandler({
      ...options,
      beforeClaim: (jobId) => (jobId === slow ? blocked : Promise.resolve()),
    });
    const pending = killed({ topic: 'early-jobs', partition: 2, records, attempt: 1 });
    const others = ids.slice(0, -1);
    try {
      const deadline = Date.now() + 15_000;
      while ((await loadResults(db, others)).size < others.length && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect((await loadResults(db, others)).size).toBe(others.length);
      expect((await loadResults(db, [slow])).size).toBe(0);

      // the invocation is gone (its transaction never commits); the next owner runs the same batch
      const next = createEvaluateHandler(options);
      const out = await next({ topic: 'early-jobs', partition: 2, records, attempt: 1 });
      expect(next.stats.evaluated).toBe(1);
      expect(next.stats.replayed).toBe(others.length);
      expect(out.outputs.map((m) => m.key).sort()).toEqual([...ids].sort());
    } finally {
      unblock();
    }
    await pending; // the zombie's claim for the slow job is refused: the provider was paid once per job
    expect(killed.stats.evaluated).toBe(others.length);
  });

  it('the document budget is given back on every way out of a job: a refused provider claim does not leak it', async () => {
    // A budget of one byte holds one job at a time. Before, a job whose claim was refused (its outcome
    // stored meanwhile) kept its share for ever, and the next batch waited on the budget for ever.
    const client = await seedClient(db);
    const first = await seedJob(db, client, 'CV of CANDIDATE-budget-0: Kafka.');
    const second = await seedJob(db, client, 'CV of CANDIDATE-budget-1: Kafka.');
    const options = { db, provider: new OfflineProvider(), resultsTopic: 'budget-results', maxAttempts: 3 };
    const previousOwner = createEvaluateHandler(options);
    const handler = createEvaluateHandler({
      ...options,
      textBudgetBytes: 1,
      beforeClaim: async (jobId) => {
        if (jobId !== first) return;
        const record = requestRecord('budget-jobs', 0, 0, first);
        await previousOwner({ topic: 'budget-jobs', partition: 0, records: [record], attempt: 1 });
      },
    });
    await handler({
      topic: 'budget-jobs',
      partition: 0,
      records: [requestRecord('budget-jobs', 0, 0, first)],
      attempt: 1,
    });
    expect(handler.stats.evaluated).toBe(0);
    const nextBatch = handler({
      topic: 'budget-jobs',
      partition: 0,
      records: [requestRecord('budget-jobs', 0, 1, second)],
      attempt: 1,
    });
    const outcome = await Promise.race([
      nextBatch.then((r) => r.outputs.map((m) => m.key)),
      new Promise((r) => setTimeout(() => r('still waiting for the document budget'), 10_000)),
    ]);
    expect(outcome).toEqual([second]);
  });

  it("a job still being evaluated by the partition's previous owner: the next owner waits for its outcome instead of paying again", async () => {
    // A rebalance moves the partition while the old owner's evaluation runs; the next owner reads no
    // outcome for the job. Before the lease, its claim succeeded and the provider was paid twice.
    const client = await seedClient(db);
    const id = await seedJob(db, client, 'CV of CANDIDATE-lease-0: Kafka.');
    const record = requestRecord('lease-jobs', 4, 0, id);
    const batch = { topic: 'lease-jobs', partition: 4, records: [record], attempt: 1 };
    const slow = gatedProvider('CANDIDATE-lease-0');
    const options = { db, resultsTopic: 'lease-results', maxAttempts: 3 };
    const previousOwner = createEvaluateHandler({ ...options, provider: slow.provider });
    const pending = previousOwner(batch);
    await slow.entered;
    const next = createEvaluateHandler({ ...options, provider: new OfflineProvider() });
    const nextBatch = next(batch);
    await new Promise((r) => setTimeout(r, 600));
    slow.open();
    await pending;
    const out = await nextBatch;
    expect(next.stats.claimWaits).toBeGreaterThan(0);
    expect(next.stats.evaluated).toBe(0);
    expect(out.outputs.map((m) => m.key)).toEqual([id]); // its record's event comes from this batch
    const [row] = await db.execute<{ provider_calls: number }>(
      sql`select provider_calls from jobs where id = ${id}`,
    );
    expect(row!.provider_calls).toBe(1);
  });

  it("a batch aborted while it waits on another owner's claim (a stop's grace, a rebalance) gives its attempt back: it never reached the provider", async () => {
    const client = await seedClient(db);
    const id = await seedJob(db, client, 'CV of CANDIDATE-lease-2: Kafka.');
    const batch = {
      topic: 'lease-jobs',
      partition: 6,
      records: [requestRecord('lease-jobs', 6, 0, id)],
      attempt: 1,
    };
    const slow = gatedProvider('CANDIDATE-lease-2');
    const options = { db, resultsTopic: 'lease-results', maxAttempts: 3 };
    const holder = createEvaluateHandler({ ...options, provider: slow.provider });
    const held = holder(batch);
    await slow.entered;
    const waiter = createEvaluateHandler({ ...options, provider: new OfflineProvider() });
    const stop = new AbortController();
    const waiting = waiter({ ...batch, signal: stop.signal });
    await new Promise((r) => setTimeout(r, 600));
    stop.abort();
    const out = await waiting;
    expect(waiter.stats.claimWaits).toBeGreaterThan(0);
    expect(out.outputs).toEqual([]);
    const attempts = async () =>
      Number(
        (await db.execute<{ attempts: number }>(sql`select attempts from jobs where id = ${id}`))[0]!
          .attempts,
      );
    // the holder's attempt only: the waiter counted one and never spent it
    expect(await attempts()).toBe(1);
    slow.open();
    await held;
    expect(await attempts()).toBe(1);
  });

  it('a claim whose holder died is taken over when its lease ends', async () => {
    const client = await seedClient(db);
    const id = await seedJob(db, client, 'CV of CANDIDATE-lease-1: Kafka.');
    const batch = {
      topic: 'lease-jobs',
      partition: 5,
      records: [requestRecord('lease-jobs', 5, 0, id)],
      attempt: 1,
    };
    const hung = gatedProvider('CANDIDATE-lease-1'); // never opened: the holder is as good as dead
    const options = { db, resultsTopic: 'lease-results', maxAttempts: 3, claimLeaseMs: 1000 };
    const holder = createEvaluateHandler({ ...options, provider: hung.provider });
    const held = holder(batch);
    await hung.entered;
    const started = Date.now();
    const next = createEvaluateHandler({ ...options, provider: new OfflineProvider() });
    const out = await next(batch);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(next.stats.evaluated).toBe(1);
    expect(out.outputs.map((m) => m.key)).toEqual([id]);
    // the holder comes back to life: its outcome loses to the stored one (awaited here, not left to
    // fail after the test's database is closed)
    hung.open();
    await held;
    expect(holder.stats.evaluated).toBe(1);
  });
});

/** The offline provider, held at the first call whose request names `marker` until open(). */
function gatedProvider(marker: string) {
  const inner = new OfflineProvider();
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let entered!: () => void;
  const enteredP = new Promise<void>((resolve) => {
    entered = resolve;
  });
  const provider: Provider = {
    name: inner.name,
    model: inner.model,
    kind: inner.kind,
    async complete(request) {
      if (JSON.stringify(request).includes(marker)) {
        entered();
        await gate;
      }
      return inner.complete(request);
    },
  };
  return { provider, entered: enteredP, open };
}

function requestRecord(topic: string, partition: number, offset: number, jobId: string) {
  const request = jobRequestRecord(topic, jobId);
  return {
    topic,
    partition,
    offset: String(offset),
    key: Buffer.from(request.key),
    value: Buffer.from(request.value),
    headers: {},
    timestamp: String(Date.now()),
  };
}
