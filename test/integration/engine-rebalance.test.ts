// Rebalances landing at the protocol's awkward moments, on the real broker. kafkajs announces a new
// assignment with GROUP_JOIN; these tests deliver that announcement (the session's onGroupJoin) at a
// chosen point — mid-handler, before a re-fetch, after fencing — which a single-broker test cluster
// cannot make kafkajs do on cue.
import { describe, expect, it } from 'vitest';
import { createKafka } from '../../lib/kafka/client.ts';
import { ConsumeTransformProduceSession } from '../../lib/kafka/session.ts';
import type { SessionOptions } from '../../lib/kafka/session-options.ts';
import { partitionTransactionalId } from '../../lib/kafka/transactional-id.ts';
import {
  committedOffsets,
  echoHandler,
  fenceTransactionalId,
  produceInputs,
  testLogger,
} from '../helpers/engine.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { drainTopic } from '../helpers/kafka.ts';

const stack = await isolatedStack('rebalance');

async function setup(name: string, records: number) {
  const t = {
    input: stack.topic(`${name}-in`),
    output: stack.topic(`${name}-out`),
    dlq: stack.topic(`${name}-dlq`),
    group: `${stack.prefix}-${name}`,
  };
  await stack.createTopics([t.input, t.output, t.dlq], 1);
  const keys = await produceInputs(stack.kafka, t.input, records);
  return { ...t, keys };
}

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** The session's view of a new assignment, as kafkajs' GROUP_JOIN delivers it. */
function join(session: ConsumeTransformProduceSession, topic: string, partitions: number[]) {
  (session as unknown as { onGroupJoin(a: Record<string, number[]>): void }).onGroupJoin({
    [topic]: partitions,
  });
}

function session(t: Awaited<ReturnType<typeof setup>>, extra: Partial<SessionOptions>) {
  return new ConsumeTransformProduceSession({
    app: 'test',
    kafka: createKafka({ brokers: stack.brokers, clientId: `rebalance-${t.group}` }),
    logger: testLogger,
    groupId: t.group,
    topic: t.input,
    dlqTopic: t.dlq,
    sessionTimeoutMs: 6000,
    heartbeatIntervalMs: 500,
    maxIdleMs: 60_000,
    handler: echoHandler(t.output),
    ...extra,
  });
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('engine across rebalances', () => {
  it('a handler that finishes after a rebalance took its partition away neither fences the new owner nor commits', async () => {
    const t = await setup('late-handler', 20);
    const held = deferred();
    const release = deferred();
    const echo = echoHandler(t.output);
    const a = session(t, {
      handler: async (batch) => {
        held.resolve();
        await release.promise;
        return echo(batch);
      },
    });
    const done = a.run();
    await held.promise;
    join(a, t.input, []); // the partition moved to another member while the handler ran…
    // …which fenced the partition's id and opened its own transaction.
    const id = partitionTransactionalId('test', t.group, t.input, 0);
    const owner = stack.kafka.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 });
    await owner.connect();
    const tx = await owner.transaction();
    a.requestStop();
    release.resolve();
    const report = await done;
    // The new owner's transaction still commits: the late handler did not fence it.
    await tx.send({ topic: t.output, messages: [{ key: 'owner', value: 'owner' }] });
    await tx.commit();
    await owner.disconnect();
    expect(report.commits).toBe(0);
    const outputs = await drainTopic(stack.kafka, t.output, { expected: 1 });
    expect(outputs.map((o) => o.key)).toEqual(['owner']);
    expect((await committedOffsets(stack.kafka, t.group, t.input)).get(0)).toBe('-1');
  });

  it('a seek pending when a rebalance lands does not make every later batch look stale', async () => {
    const t = await setup('lost-seek', 10);
    let processed = 0;
    const echo = echoHandler(t.output);
    const a = session(t, {
      handler: async (batch) => {
        processed += batch.records.length;
        return echo(batch);
      },
    });
    const done = a.run();
    await until(() => processed >= 10);
    // A seek that kafkajs forgot: the rebalance reset its fetch position from its own offset cache.
    const state = (a as unknown as { partitions: Map<number, { awaitingFetchAt?: bigint }> }).partitions.get(
      0,
    )!;
    state.awaitingFetchAt = 1_000_000n;
    join(a, t.input, [0]);
    await produceInputs(stack.kafka, t.input, 10, 'in', 10);
    await until(() => processed >= 20, 20_000).catch(() => {});
    a.requestStop();
    await done;
    const outputs = await drainTopic(stack.kafka, t.output, { expected: 20 });
    expect(new Set(outputs.map((o) => o.key)).size).toBe(20);
  });

  it('a partition paused because it was fenced, then assigned away and back, is consumed again', async () => {
    const t = await setup('paused', 10);
    const held = deferred();
    const release = deferred();
    let commits = 0;
    const a = session(t, {
      hooks: {
        beforeCommit: async () => {
          if (commits++ > 0) return;
          held.resolve();
          await release.promise;
        },
      },
    });
    const done = a.run();
    await held.promise;
    await fenceTransactionalId(stack.kafka, partitionTransactionalId('test', t.group, t.input, 0));
    release.resolve();
    await until(
      () => (a as unknown as { counters: { report: { fenced: number } } }).counters.report.fenced > 0,
    );
    join(a, t.input, []);
    join(a, t.input, [0]);
    await produceInputs(stack.kafka, t.input, 10, 'in', 10);
    const outputs = await drainTopic(stack.kafka, t.output, { expected: 20, timeoutMs: 30_000 });
    a.requestStop();
    await done;
    expect(new Set(outputs.map((o) => o.key)).size).toBe(20);
  });
});
