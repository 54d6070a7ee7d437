// Lost or rewound committed offsets fail closed (lib/kafka/progress.ts), on the real broker: a partition
// whose committed offset is gone, or below the position the application recorded as committed, is
// refused (no output, an engine.partition-refused line naming the fix) and the other partitions flow;
// once the offsets are put back the next session resumes it, and every input has exactly one output.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ENGINE_EVENTS } from '../../lib/kafka/events.ts';
import type { ProgressWitness } from '../../lib/kafka/progress.ts';
import { runSession } from '../../lib/kafka/session.ts';
import type { BatchHandler } from '../../lib/kafka/types.ts';
import { createLogger } from '../../lib/telemetry/logger.ts';
import { checkExactlyOnce, committedOffsets, endOffsets } from '../helpers/engine.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { drainTopic } from '../helpers/kafka.ts';

const stack = await isolatedStack('engine-offsets');

/** An application that records every committed position, as an application would in its database. */
function recordingApp(outTopic: string) {
  const recorded = new Map<number, bigint>();
  const handler: BatchHandler = async ({ records, partition }) => ({
    outputs: records.map((r) => ({
      topic: outTopic,
      key: r.key,
      value: `out:${r.value?.toString()}`,
      headers: { src: `${partition}:${r.offset}` },
    })),
  });
  const witness: ProgressWitness = {
    restoreCommand: 'the-restore-command',
    recorded: async ({ partition }) => recorded.get(partition),
    committed: ({ partition, next }) => {
      if (next > (recorded.get(partition) ?? -1n)) recorded.set(partition, next);
    },
  };
  return { recorded, handler, witness };
}

/** n keyed records written to one partition (key = value = `${prefix}-${i}`) */
async function produceTo(topic: string, partition: number, n: number, prefix: string): Promise<string[]> {
  const producer = stack.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const keys = Array.from({ length: n }, (_, i) => `${prefix}-${partition}-${i}`);
  await producer.send({ topic, messages: keys.map((key) => ({ key, value: key, partition })), acks: -1 });
  await producer.disconnect();
  return keys;
}

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', format: 'json', destination }) };
}

async function setOffsets(
  groupId: string,
  topic: string,
  partitions: { partition: number; offset: string }[],
) {
  const admin = stack.kafka.admin();
  await admin.connect();
  try {
    await admin.setOffsets({ groupId, topic, partitions });
  } finally {
    await admin.disconnect();
  }
}

describe('lost committed offsets fail closed (engine)', () => {
  it('group deleted → partitions with a recorded position are refused, a new one flows; an offset moved back is refused; offsets put back → they resume, each input exactly once', async () => {
    const t = { input: stack.topic('in'), output: stack.topic('out'), dlq: stack.topic('dlq') };
    await stack.createTopics([t.input, t.output, t.dlq], 3);
    const app = recordingApp(t.output);
    const groupId = `${stack.prefix}-g`;
    const session = (logger = capturingLogger()) =>
      runSession({
        kafka: stack.kafka,
        app: 'test',
        groupId,
        topic: t.input,
        dlqTopic: t.dlq,
        handler: app.handler,
        progress: app.witness,
        logger: logger.logger,
        sessionTimeoutMs: 6000,
        heartbeatIntervalMs: 500,
        maxIdleMs: 1500,
        maxBatchRecords: 5,
      }).then((report) => ({ report, lines: logger.lines }));
    const refusals = (lines: Record<string, unknown>[]) =>
      lines.filter((l) => l.event === ENGINE_EVENTS.partitionRefused);

    const keys = [...(await produceTo(t.input, 0, 20, 'a')), ...(await produceTo(t.input, 1, 20, 'a'))];
    const first = await session();
    expect(first.report.records).toBe(40);
    expect(app.recorded).toEqual(
      new Map([
        [0, 20n],
        [1, 20n],
      ]),
    );

    // The group's committed offsets vanish; more records arrive, partition 2 gets its first ones.
    const admin = stack.kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]);
    await admin.disconnect();
    for (const p of [0, 1, 2]) keys.push(...(await produceTo(t.input, p, 10, 'b')));
    const second = await session();
    expect(second.report.refused).toBe(2);
    expect(second.report.records).toBe(10);
    const lines = refusals(second.lines).sort((a, b) => Number(a.partition) - Number(b.partition));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 50,
      reason: 'no-committed-offset',
      group: groupId,
      topic: t.input,
      partition: 0,
      committed: null,
      recorded: '20',
      fix: 'the-restore-command',
    });
    expect(String(lines[0]!.msg)).toContain('the-restore-command');
    let outputs = await drainTopic(stack.kafka, t.output, { expected: 50 });
    expect(outputs).toHaveLength(50); // none of partitions 0 and 1 replayed, partition 2's ten added
    let committed = await committedOffsets(stack.kafka, groupId, t.input);
    expect([committed.get(0), committed.get(1), committed.get(2)]).toEqual(['-1', '-1', '10']);

    // Partition 2's offset moved back by hand: behind the recorded position.
    await setOffsets(groupId, t.input, [{ partition: 2, offset: '0' }]);
    const third = await session();
    expect(third.report.records).toBe(0);
    expect(
      refusals(third.lines)
        .map((l) => [l.partition, l.reason])
        .sort(),
    ).toEqual([
      [0, 'no-committed-offset'],
      [1, 'no-committed-offset'],
      [2, 'committed-behind'],
    ]);
    expect(await drainTopic(stack.kafka, t.output, { settleMs: 1000 })).toHaveLength(50);

    // The operator puts the offsets back where the group stood.
    await setOffsets(groupId, t.input, [
      { partition: 0, offset: '20' },
      { partition: 1, offset: '20' },
      { partition: 2, offset: '10' },
    ]);
    const fourth = await session();
    expect(fourth.report.refused).toBe(0);
    expect(fourth.report.records).toBe(20);
    outputs = await drainTopic(stack.kafka, t.output, { expected: keys.length });
    expect(checkExactlyOnce(keys, outputs)).toEqual({ missing: [], duplicates: [], unexpected: [] });
    committed = await committedOffsets(stack.kafka, groupId, t.input);
    expect(committed).toEqual(await endOffsets(stack.kafka, t.input));
  });
});
