// The engine under faults, on the real broker: a crash between produce and commit, a zombie that
// commits after losing its partitions, the read/fence race (with its negative control), the budget.
import { describe, expect, it } from 'vitest';
import { createKafka } from '../../lib/kafka/client.ts';
import { ConsumeTransformProduceSession, runSession } from '../../lib/kafka/session.ts';
import type { DeliveryMode } from '../../lib/kafka/types.ts';
import { runChild } from '../helpers/child.ts';
import {
  checkExactlyOnce,
  committedOffsets,
  echoHandler,
  produceInputs,
  testLogger,
} from '../helpers/engine.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { drainTopic } from '../helpers/kafka.ts';

const stack = await isolatedStack('faults');

async function setup(name: string, partitions: number, records: number) {
  const t = {
    input: stack.topic(`${name}-in`),
    output: stack.topic(`${name}-out`),
    dlq: stack.topic(`${name}-dlq`),
    group: `${stack.prefix}-${name}`,
  };
  await stack.createTopics([t.input, t.output, t.dlq], partitions);
  const keys = await produceInputs(stack.kafka, t.input, records);
  return { ...t, keys };
}

const base = {
  app: 'test',
  logger: testLogger,
  sessionTimeoutMs: 6000,
  heartbeatIntervalMs: 500,
  maxIdleMs: 1500,
};

/** A session in its own process (test/fixtures/session-child.ts) over the topics of `t`. */
function sessionChild(
  t: { group: string; input: string; output: string; dlq: string },
  env: Record<string, string> = {},
) {
  return runChild('fixtures/session-child.ts', {
    BROKERS: stack.brokers.join(','),
    GROUP: t.group,
    INPUT: t.input,
    OUTPUT: t.output,
    DLQ: t.dlq,
    ...env,
  });
}

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('engine under faults', () => {
  it('crash: a session SIGKILLed after producing and before committing; a new session finishes; outputs exactly once', async () => {
    const t = await setup('crash', 4, 400);
    const child = sessionChild(t, {
      CRASH_AT_COMMIT: '1',
    });
    await child.waitForLine(/^crashing$/);
    const exit = await child.exited;
    expect(exit.signal).toBe('SIGKILL');
    // The crash point really was after produce: the dead transaction's records are in the log.
    const dirty = await drainTopic(stack.kafka, t.output, { isolation: 'read_uncommitted', expected: 1 });
    expect(dirty.length).toBeGreaterThan(0);

    const report = await runSession({
      ...base,
      kafka: stack.kafka,
      groupId: t.group,
      topic: t.input,
      dlqTopic: t.dlq,
      handler: echoHandler(t.output),
    });
    expect(report.records).toBe(400);
    const outputs = await drainTopic(stack.kafka, t.output, { expected: 400 });
    expect(checkExactlyOnce(t.keys, outputs)).toEqual({ missing: [], duplicates: [], unexpected: [] });
  });

  it('zombie: a session held between produce and commit loses its partitions; its commit fails as fenced and it stops touching them', async () => {
    const t = await setup('zombie', 3, 300);
    const release = deferred();
    const held = deferred();
    const kafkaA = createKafka({ brokers: stack.brokers, clientId: 'zombie-a' });
    const a = new ConsumeTransformProduceSession({
      ...base,
      kafka: kafkaA,
      groupId: t.group,
      topic: t.input,
      dlqTopic: t.dlq,
      maxIdleMs: 20_000,
      handler: echoHandler(t.output),
      hooks: {
        beforeCommit: async () => {
          held.resolve();
          await release.promise;
        },
      },
    });
    const aDone = a.run();
    await held.promise;
    // B takes over once A's session times out (A is stuck: no heartbeats), and finishes the work.
    const b = await runSession({
      ...base,
      kafka: stack.kafka,
      groupId: t.group,
      topic: t.input,
      dlqTopic: t.dlq,
      handler: echoHandler(t.output),
    });
    expect(b.records).toBe(300);
    release.resolve();
    a.requestStop();
    const aReport = await aDone;
    expect(aReport.fenced).toBeGreaterThanOrEqual(1);
    expect(aReport.commits).toBe(0);
    const outputs = await drainTopic(stack.kafka, t.output, { expected: 300 });
    expect(checkExactlyOnce(t.keys, outputs)).toEqual({ missing: [], duplicates: [], unexpected: [] });
  });

  async function race(mode: DeliveryMode) {
    const t = await setup(`race-${mode}`, 1, 100);
    const releaseA = deferred();
    const aHeld = deferred();
    const aSettled = deferred<'committed' | 'failed'>();
    const a = new ConsumeTransformProduceSession({
      ...base,
      kafka: createKafka({ brokers: stack.brokers, clientId: 'race-a' }),
      groupId: t.group,
      topic: t.input,
      dlqTopic: t.dlq,
      maxIdleMs: 30_000,
      handler: echoHandler(t.output),
      hooks: {
        beforeCommit: async () => {
          aHeld.resolve();
          await releaseA.promise;
        },
        afterCommit: () => aSettled.resolve('committed'),
        afterTransactionError: () => aSettled.resolve('failed'),
      },
    });
    const aDone = a.run();
    await aHeld.promise;
    let firstRead = true;
    const b = await runSession({
      ...base,
      mode,
      kafka: stack.kafka,
      groupId: t.group,
      topic: t.input,
      dlqTopic: t.dlq,
      handler: echoHandler(t.output),
      hooks: {
        // The zombie's commit lands right after B read the committed offset.
        afterOffsetRead: async () => {
          if (!firstRead) return;
          firstRead = false;
          releaseA.resolve();
          await aSettled.promise;
        },
      },
    });
    a.requestStop();
    await aDone;
    const outputs = await drainTopic(stack.kafka, t.output, { expected: 100 });
    return { check: checkExactlyOnce(t.keys, outputs), zombie: await aSettled.promise, b };
  }

  it("the race, negative control: with read-then-fence the zombie's commit lands after the read and records are duplicated", async () => {
    const { check, zombie } = await race('read-then-fence');
    expect(zombie).toBe('committed');
    expect(check.missing).toEqual([]);
    expect(check.duplicates.length).toBeGreaterThan(0);
  });

  it("the race: with fence-then-read the zombie's commit is rejected and there is no duplicate", async () => {
    const { check, zombie } = await race('exactly-once');
    expect(zombie).toBe('failed');
    expect(check).toEqual({ missing: [], duplicates: [], unexpected: [] });
  });

  it('budget: a session exits by itself once caught up', async () => {
    const t = await setup('idle', 2, 50);
    const child = sessionChild(t, {
      MAX_IDLE_MS: '1000',
    });
    const exit = await child.exited;
    expect(exit.code).toBe(0);
    const report = JSON.parse(child.lines.find((l) => l.startsWith('report '))!.slice(7));
    expect(report.stopReason).toBe('caught-up');
    expect(report.records).toBe(50);
  });

  it('budget: on SIGTERM a session commits the batch in hand, leaves the group and exits 0', async () => {
    const t = await setup('sigterm', 2, 2000);
    const child = sessionChild(t, {
      SLOW_HANDLER_MS: '1500',
      MAX_IDLE_MS: '30000',
    });
    await child.waitForLine(/^batch /);
    child.process.kill('SIGTERM');
    const exit = await child.exited;
    expect(exit.code).toBe(0);
    const reportLine = child.lines.find((l) => l.startsWith('report '));
    const report = JSON.parse(reportLine!.slice(7));
    expect(report.stopReason).toBe('signal');
    expect(report.commits).toBeGreaterThan(0);
    // It left the group: no member remains, without waiting for a session timeout.
    const admin = stack.kafka.admin();
    await admin.connect();
    const { groups } = await admin.describeGroups([t.group]);
    await admin.disconnect();
    expect(groups[0]?.members).toEqual([]);
    // What it committed is exactly what is visible: the batch in hand was committed, not half-written.
    const committed = await committedOffsets(stack.kafka, t.group, t.input);
    const total = [...committed.values()].reduce((s, o) => s + Math.max(0, Number(o)), 0);
    expect(total).toBe(report.records);
    const outputs = await drainTopic(stack.kafka, t.output, { expected: total });
    expect(outputs).toHaveLength(total);
    expect(new Set(outputs.map((o) => o.key)).size).toBe(total);
  });
});
