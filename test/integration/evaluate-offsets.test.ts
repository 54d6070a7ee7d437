// Lost committed offsets, end to end with the evaluate handler on the real broker and PostgreSQL: the
// evaluate group is deleted after jobs were processed → the next invocation refuses the partitions
// (no second result event for any job) → `npm run offsets:restore` puts the offsets back from the
// database and the topics → the next invocation continues: new jobs get one event each, old jobs none,
// and outcomes stored by a transaction that never committed are emitted exactly once. A partition
// whose very first transaction never committed is not mistaken for lost offsets.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, createDatabase, type Database } from '../../lib/db/database.ts';
import { loadResults } from '../../lib/db/effects.ts';
import { OfflineProvider } from '../../lib/evaluation/providers/offline.ts';
import { createEvaluateHandler } from '../../lib/jobs/evaluate-handler.ts';
import { evaluateProgress } from '../../lib/jobs/evaluate-progress.ts';
import { runSession } from '../../lib/kafka/session.ts';
import { jobRequestRecord } from '../../lib/records/job-request.ts';
import { crashEvaluatorAtCommit } from '../helpers/child.ts';
import { committedOffsets, endOffsets, testLogger } from '../helpers/engine.ts';
import { type FakeLlm, goodAnswer, startFakeLlm } from '../helpers/fake-llm.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { seedClient, seedJob } from '../helpers/jobs.ts';
import { drainTopic } from '../helpers/kafka.ts';

// Each test has its own database: outcome tags name a partition and an offset, not a topic, so one
// database serves one jobs topic (lib/db/progress.ts).
const stacks = [await isolatedStack('evaluate-offsets'), await isolatedStack('evaluate-offsets-tail')];
const root = fileURLToPath(new URL('../../', import.meta.url));
let fake: FakeLlm;
const dbs: Database[] = [];
let stack = stacks[0]!;
let db: Database;
let client: string;

/** The test's stack and database from now on. */
async function use(i: number) {
  stack = stacks[i]!;
  db = dbs[i]!;
  client = await seedClient(db);
}

beforeAll(async () => {
  for (const s of stacks) dbs.push(createDatabase(s.databaseUrl));
  fake = await startFakeLlm([{ kind: 'answer', content: goodAnswer }]);
});
afterAll(async () => {
  await fake?.close();
  for (const d of dbs) await closeDatabase(d);
});

type Topics = { jobs: string; results: string; dlq: string };

function topicsFor(name: string): Topics {
  return {
    jobs: stack.topic(`${name}-jobs`),
    results: stack.topic(`${name}-results`),
    dlq: stack.topic(`${name}-dlq`),
  };
}

/** One evaluate invocation, wired as functions/evaluate wires it (the witness from PostgreSQL). */
async function invocation(group: string, t: Topics) {
  const progress = evaluateProgress(db);
  const handler = createEvaluateHandler({
    db,
    provider: new OfflineProvider(),
    resultsTopic: t.results,
    maxAttempts: 3,
    logger: testLogger,
  });
  const report = await runSession({
    kafka: stack.kafka,
    app: 'test',
    groupId: group,
    topic: t.jobs,
    dlqTopic: t.dlq,
    handler,
    progress,
    logger: testLogger,
    maxIdleMs: 1500,
    sessionTimeoutMs: 6000,
    maxBatchRecords: 64,
    maxAttempts: 4,
  });
  await progress.flush();
  return { report, stats: handler.stats };
}

async function newJobs(t: Topics, n: number, label: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++)
    ids.push(await seedJob(db, client, `CV of CANDIDATE-${label}-${i}: TypeScript.`));
  const producer = stack.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic: t.jobs, messages: ids.map((id) => jobRequestRecord(t.jobs, id)), acks: -1 });
  await producer.disconnect();
  return ids;
}

/** Deletes the group once it is empty (a SIGKILLed member stays until its session timeout). */
async function deleteGroup(group: string) {
  const admin = stack.kafka.admin();
  await admin.connect();
  try {
    for (let tries = 0; ; tries++) {
      try {
        await admin.deleteGroups([group]);
        return;
      } catch (err) {
        if (tries >= 40) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** `npm run offsets:restore` as an operator runs it: the script the package.json entry names. */
async function restore(group: string, t: Topics, ...args: string[]) {
  const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> };
  const file = /node (\S+\.ts)/.exec(pkg.scripts['offsets:restore'] ?? '')![1]!;
  const child = spawn(process.execPath, [file, ...args], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: stack.databaseUrl,
      KAFKA_BROKERS: stack.brokers.join(','),
      KAFKA_TOPIC_JOBS: t.jobs,
      KAFKA_TOPIC_RESULTS: t.results,
      KAFKA_TOPIC_DLQ: t.dlq,
      KAFKA_EVALUATE_GROUP: group,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  const summary = stdout.trim() ? JSON.parse(stdout.trim().split('\n').at(-1)!) : undefined;
  return {
    code,
    stderr,
    summary: summary as
      | { restored: number; partitions: { partition: number; action: string; target: string | null }[] }
      | undefined,
  };
}

/** result events per job id */
async function eventsPerJob(t: Topics, expected: number): Promise<Map<string, number>> {
  const events = await drainTopic(stack.kafka, t.results, { expected, settleMs: 1500 });
  const per = new Map<string, number>();
  for (const e of events) per.set(e.key ?? '', (per.get(e.key ?? '') ?? 0) + 1);
  return per;
}

describe('lost committed offsets (evaluate)', () => {
  it('group deleted → refused, no second event; offsets:restore → new jobs one event each, old jobs none', async () => {
    await use(0);
    const t = topicsFor('lost');
    await stack.createTopics(Object.values(t), 3);
    const group = `${stack.prefix}-lost`;
    const old = await newJobs(t, 24, 'old');
    const first = await invocation(group, t);
    expect(first.stats.evaluated).toBe(24);
    expect([...(await eventsPerJob(t, 24)).values()]).toEqual(Array(24).fill(1));
    const endsBefore = await endOffsets(stack.kafka, t.jobs);

    await deleteGroup(group);
    const fresh = await newJobs(t, 6, 'new');
    const refused = await invocation(group, t);
    const partitionsWithOutcomes = new Set(
      [...(await loadResults(db, old)).values()].map((r) => r.sourcePartition),
    );
    expect(refused.report.refused).toBe(partitionsWithOutcomes.size);
    expect(refused.report.records).toBe(0);
    expect(refused.stats.replayed).toBe(0);
    // no job has a second event (without the refusal, all 24 would be replayed)
    const afterRefusal = await eventsPerJob(t, 24);
    expect([...afterRefusal.values()].filter((n) => n > 1)).toEqual([]);
    expect(afterRefusal.size).toBe(24);

    const dry = await restore(group, t, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('dry run');
    expect(dry.summary!.restored).toBe(0);
    expect([...(await committedOffsets(stack.kafka, group, t.jobs)).values()].every((o) => o === '-1')).toBe(
      true,
    );

    const done = await restore(group, t);
    expect(done.code, done.stderr).toBe(0);
    expect(done.summary!.restored).toBe(partitionsWithOutcomes.size);
    // one past each partition's last committed result event: where the group stood
    for (const p of done.summary!.partitions)
      if (p.action === 'set') expect(p.target).toBe(endsBefore.get(p.partition));

    const resumed = await invocation(group, t);
    expect(resumed.report.refused).toBe(0);
    expect(resumed.stats.evaluated).toBe(6);
    expect(resumed.stats.replayed).toBe(0);
    const final = await eventsPerJob(t, 30);
    for (const id of [...old, ...fresh]) expect(final.get(id), id).toBe(1);
    expect(final.size).toBe(30);
  });

  it('outcomes stored by a transaction that never committed → offsets:restore starts at them, not past them: each emitted exactly once', async () => {
    await use(1);
    const t = topicsFor('tail');
    await stack.createTopics(Object.values(t), 1);
    const group = `${stack.prefix}-tail`;
    const committed = await newJobs(t, 3, 'committed');
    await invocation(group, t);
    const tail = await newJobs(t, 2, 'tail');
    // An evaluator stores the two outcomes, then dies before its Kafka transaction commits.
    await crashEvaluatorAtCommit({
      brokers: stack.brokers,
      databaseUrl: stack.databaseUrl,
      group,
      topics: t,
      llmUrl: fake.url,
    });
    expect((await loadResults(db, tail)).size).toBe(2);

    await deleteGroup(group);
    const refused = await invocation(group, t);
    expect(refused.report.refused).toBe(1);

    const done = await restore(group, t);
    expect(done.code, done.stderr).toBe(0);
    // the highest stored source offset is 4; its transaction never committed: restore says 3, not 5
    expect(done.summary!.partitions).toEqual([
      expect.objectContaining({ partition: 0, action: 'set', target: '3' }),
    ]);

    const resumed = await invocation(group, t);
    expect(resumed.stats.replayed).toBe(2);
    expect(resumed.stats.evaluated).toBe(0);
    const final = await eventsPerJob(t, 5);
    for (const id of [...committed, ...tail]) expect(final.get(id), id).toBe(1);
  });

  it('a partition whose first transaction never committed (outcomes stored, no offset, nothing recorded) is not refused: its outcomes are emitted once', async () => {
    await use(1);
    const t = topicsFor('first');
    await stack.createTopics(Object.values(t), 1);
    const group = `${stack.prefix}-first`;
    const ids = await newJobs(t, 4, 'first');
    // A rebalance or a crash during a partition's first batch: outcomes stored, nothing committed.
    await crashEvaluatorAtCommit({
      brokers: stack.brokers,
      databaseUrl: stack.databaseUrl,
      group,
      topics: t,
      llmUrl: fake.url,
    });
    expect((await loadResults(db, ids)).size).toBe(4);
    expect((await committedOffsets(stack.kafka, group, t.jobs)).get(0)).toBe('-1');

    const next = await invocation(group, t);
    expect(next.report.refused).toBe(0);
    expect(next.stats.replayed).toBe(4);
    const final = await eventsPerJob(t, 4);
    for (const id of ids) expect(final.get(id), id).toBe(1);
  });
});
