// Lost or rewound committed offsets fail closed (lib/kafka/progress.ts), on the real broker: a partition
// whose committed offset is gone, or moved back past more than one batch, while the application's store
// holds effects for it is refused (no output, an engine.partition-refused line naming the fix) and the
// other partitions flow; once the offsets are put back the next session resumes it, and every input has
// exactly one output in the end.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ENGINE_EVENTS } from '../../lib/kafka/events.ts';
import type { ProgressWitness } from '../../lib/kafka/progress.ts';
import { runSession } from '../../lib/kafka/session.ts';
import type { BatchHandler } from '../../lib/kafka/types.ts';
import { createLogger } from '../../lib/telemetry/logger.ts';
import { checkExactlyOnce, committedOffsets, endOffsets, produceInputs } from '../helpers/engine.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { drainTopic } from '../helpers/kafka.ts';

const stack = await isolatedStack('engine-offsets');

/** An application that stores an effect per record (partition → offsets) and can say what it stored. */
function storingApp(outTopic: string) {
  const store = new Map<number, Set<bigint>>();
  const handler: BatchHandler = async ({ records, partition }) => {
    const offsets = store.get(partition) ?? new Set();
    store.set(partition, offsets);
    for (const r of records) offsets.add(BigInt(r.offset));
    return {
      outputs: records.map((r) => ({
        topic: outTopic,
        key: r.key,
        value: `out:${r.value?.toString()}`,
        headers: { src: `${partition}:${r.offset}` },
      })),
    };
  };
  const witness: ProgressWitness = {
    restoreCommand: 'the-restore-command',
    stored: async ({ partition, from, limit }) => {
      const offsets = [...(store.get(partition) ?? [])];
      if (offsets.length === 0) return undefined;
      const storedFrom = Math.min(limit, offsets.filter((o) => o >= from).length);
      let lastOffset = -1n;
      for (const o of offsets) if (o > lastOffset) lastOffset = o;
      return { lastOffset, storedFrom };
    },
  };
  return { store, handler, witness };
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
  it('no committed offset while the store holds effects → that partition is refused, the others flow; offsets put back → it resumes, each input exactly once', async () => {
    const t = { input: stack.topic('in'), output: stack.topic('out'), dlq: stack.topic('dlq') };
    await stack.createTopics([t.input, t.output, t.dlq], 3);
    const keys = await produceInputs(stack.kafka, t.input, 60);
    const app = storingApp(t.output);
    // Partition 1's first five records were handled under a group whose offsets are gone.
    app.store.set(1, new Set([0n, 1n, 2n, 3n, 4n]));
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

    const first = await session();
    expect(first.report.refused).toBe(1);
    const refusedLines = first.lines.filter((l) => l.event === ENGINE_EVENTS.partitionRefused);
    expect(refusedLines).toHaveLength(1);
    expect(refusedLines[0]).toMatchObject({
      level: 50,
      reason: 'no-committed-offset',
      group: groupId,
      topic: t.input,
      partition: 1,
      committed: null,
      storedUpTo: '4',
      fix: 'the-restore-command',
    });
    expect(String(refusedLines[0]!.msg)).toContain('the-restore-command');
    const ends = await endOffsets(stack.kafka, t.input);
    let outputs = await drainTopic(stack.kafka, t.output, { settleMs: 1000 });
    expect(outputs.filter((o) => o.headers.src?.startsWith('1:'))).toHaveLength(0);
    expect(outputs).toHaveLength(Number(ends.get(0)) + Number(ends.get(2)));
    let committed = await committedOffsets(stack.kafka, groupId, t.input);
    expect(committed.get(1)).toBe('-1');
    expect(committed.get(0)).toBe(ends.get(0));

    // Partition 0's offset moved back by hand to the start: more stored effects after it than one batch.
    await setOffsets(groupId, t.input, [{ partition: 0, offset: '0' }]);
    const second = await session();
    expect(second.report.records).toBe(0);
    const reasons = second.lines
      .filter((l) => l.event === ENGINE_EVENTS.partitionRefused)
      .map((l) => [l.partition, l.reason]);
    expect(reasons.sort()).toEqual([
      [0, 'committed-behind'],
      [1, 'no-committed-offset'],
    ]);
    expect(await drainTopic(stack.kafka, t.output, { settleMs: 1000 })).toHaveLength(outputs.length);

    // The operator puts the offsets back: partition 0 where it was, partition 1 where its stored
    // effects began (they are re-emitted once, like any uncommitted tail).
    await setOffsets(groupId, t.input, [
      { partition: 0, offset: ends.get(0)! },
      { partition: 1, offset: '0' },
    ]);
    const third = await session();
    expect(third.report.refused).toBe(0);
    expect(third.report.records).toBe(Number(ends.get(1)));
    outputs = await drainTopic(stack.kafka, t.output, { expected: keys.length });
    expect(checkExactlyOnce(keys, outputs)).toEqual({ missing: [], duplicates: [], unexpected: [] });
    committed = await committedOffsets(stack.kafka, groupId, t.input);
    expect(committed).toEqual(ends);
  });
});
