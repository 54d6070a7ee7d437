// The engine against the broker's limits, on the real broker: a results topic whose max.message.bytes
// no longer takes a batch's outputs, a record whose own output is too large for it, and a transaction
// that outlives its transactionTimeout (the coordinator aborts it: that is not a fencing).
import kafkajs, { type Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS } from '../../lib/kafka/dlq.ts';
import { runSession } from '../../lib/kafka/session.ts';
import type { BatchHandler } from '../../lib/kafka/types.ts';
import {
  checkExactlyOnce,
  committedOffsets,
  endOffsets,
  produceInputs,
  testLogger,
} from '../helpers/engine.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { drainTopic } from '../helpers/kafka.ts';

const stack = await isolatedStack('limits');

const base = {
  app: 'test',
  logger: testLogger,
  sessionTimeoutMs: 6000,
  heartbeatIntervalMs: 500,
  maxIdleMs: 1500,
  // Before the fix an oversized batch looped until this budget: long enough to finish when it works.
  maxDurationMs: 45_000,
};

async function setup(name: string, inputPartitions: number, records: number) {
  const t = {
    input: stack.topic(`${name}-in`),
    output: stack.topic(`${name}-out`),
    dlq: stack.topic(`${name}-dlq`),
    group: `${stack.prefix}-${name}`,
  };
  await stack.createTopics([t.input], inputPartitions);
  await stack.createTopics([t.output, t.dlq], 2);
  const keys = await produceInputs(stack.kafka, t.input, records);
  return { ...t, keys };
}

async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = stack.kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

function setMaxMessageBytes(topic: string, bytes: number) {
  return withAdmin((admin) =>
    admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: kafkajs.ConfigResourceTypes.TOPIC,
          name: topic,
          configEntries: [{ name: 'max.message.bytes', value: String(bytes) }],
        },
      ],
    }),
  );
}

/** A broker setting as the first broker reports it, or `fallback` when it has none (Redpanda). */
async function brokerConfig(name: string, fallback: number): Promise<number> {
  const value = await withAdmin(async (admin) => {
    const { brokers } = await admin.describeCluster();
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: kafkajs.ConfigResourceTypes.BROKER, name: String(brokers[0]!.nodeId), configNames: [name] },
      ],
    });
    return described.resources[0]?.configEntries.find((e) => e.configName === name)?.configValue;
  }).catch(() => undefined);
  return value ? Number(value) : fallback;
}

/** One output per input, `size` bytes of value (or `sizeOf(key)`), same key. */
function paddedHandler(outTopic: string, sizeOf: (key: string) => number): BatchHandler {
  return async ({ records, partition }) => ({
    outputs: records.map((r) => {
      const key = r.key!.toString();
      return {
        topic: outTopic,
        key,
        value: `out:${key}:`.padEnd(sizeOf(key), 'x'),
        headers: { src: `${partition}:${r.offset}` },
      };
    }),
  });
}

describe('engine limits', () => {
  it("a batch's outputs over the results topic's max.message.bytes: split until they fit, each output exactly once, nothing in the DLQ, the session ends", async () => {
    const t = await setup('split', 3, 300);
    // A batch of ~100 records' outputs is ~60 KB; one output (~640 bytes with its record overhead) fits
    // three times over.
    await setMaxMessageBytes(t.output, 2048);
    let calls = 0;
    const padded = paddedHandler(t.output, () => 600);
    const report = await runSession({
      ...base,
      kafka: stack.kafka,
      groupId: t.group,
      topic: t.input,
      dlqTopic: t.dlq,
      handler: async (batch) => {
        calls += 1;
        return padded(batch);
      },
    });
    expect(report.stopReason).toBe('caught-up');
    expect(report.records).toBe(300);
    expect(report.dlq).toBe(0);
    expect(report.fenced).toBe(0);
    // the topic's limit was asked before the first transaction: none was refused
    expect(report.aborts).toBe(0);
    const outputs = await drainTopic(stack.kafka, t.output, { expected: 300 });
    expect(checkExactlyOnce(t.keys, outputs)).toEqual({ missing: [], duplicates: [], unexpected: [] });
    expect(outputs).toHaveLength(300);
    expect(await drainTopic(stack.kafka, t.dlq, { settleMs: 1000 })).toEqual([]);
    expect(await committedOffsets(stack.kafka, t.group, t.input)).toEqual(
      await endOffsets(stack.kafka, t.input),
    );
    // the split converges: not one handler call per record and failure
    expect(calls).toBeLessThan(300);
  });

  it('max.message.bytes lowered while the session runs: the refused transactions are retried smaller, each output exactly once, nothing in the DLQ', async () => {
    const t = await setup('lowered', 3, 600);
    let calls = 0;
    let lowered = false;
    const padded = paddedHandler(t.output, () => 600);
    const report = await runSession({
      ...base,
      kafka: stack.kafka,
      groupId: t.group,
      topic: t.input,
      dlqTopic: t.dlq,
      // small chunks: the session has learned the topic's (default) limit before it drops
      maxBatchRecords: 40,
      partitionsConsumedConcurrently: 1,
      handler: async (batch) => {
        calls += 1;
        if (calls === 3) {
          await setMaxMessageBytes(t.output, 2048);
          await new Promise((r) => setTimeout(r, 1000)); // the broker applies it
          lowered = true;
        }
        return padded(batch);
      },
    });
    expect(lowered).toBe(true);
    expect(report.stopReason).toBe('caught-up');
    expect(report.records).toBe(600);
    expect(report.dlq).toBe(0);
    expect(report.fenced).toBe(0);
    // the transaction in hand when the limit dropped was refused and tried again: the case was exercised
    expect(report.aborts).toBeGreaterThan(0);
    expect(report.aborts).toBeLessThan(10);
    const outputs = await drainTopic(stack.kafka, t.output, { expected: 600 });
    expect(checkExactlyOnce(t.keys, outputs)).toEqual({ missing: [], duplicates: [], unexpected: [] });
    expect(outputs).toHaveLength(600);
    expect(await committedOffsets(stack.kafka, t.group, t.input)).toEqual(
      await endOffsets(stack.kafka, t.input),
    );
  });

  it('a record whose own output cannot fit goes to the DLQ with OUTPUT_TOO_LARGE; its siblings produce their outputs', async () => {
    const t = await setup('huge', 1, 60);
    await setMaxMessageBytes(t.output, 2048);
    const huge = 'in-37';
    const report = await runSession({
      ...base,
      kafka: stack.kafka,
      groupId: t.group,
      topic: t.input,
      dlqTopic: t.dlq,
      handler: paddedHandler(t.output, (key) => (key === huge ? 5000 : 100)),
    });
    expect(report.stopReason).toBe('caught-up');
    expect(report.records).toBe(60);
    expect(report.dlq).toBe(1);
    const outputs = await drainTopic(stack.kafka, t.output, { expected: 59 });
    expect(
      checkExactlyOnce(
        t.keys.filter((k) => k !== huge),
        outputs,
      ),
    ).toEqual({ missing: [], duplicates: [], unexpected: [] });
    expect(outputs).toHaveLength(59);
    const dlq = await drainTopic(stack.kafka, t.dlq, { expected: 1 });
    expect(dlq.map((r) => r.key)).toEqual([huge]);
    expect(dlq[0]!.value).toBe(huge);
    expect(dlq[0]!.headers[DLQ_HEADERS.code]).toBe('OUTPUT_TOO_LARGE');
    expect(dlq[0]!.headers[DLQ_HEADERS.offset]).toBe('37');
    expect(dlq[0]!.headers[DLQ_HEADERS.message]).toMatch(/max\.message\.bytes|too large/i);
    expect((await committedOffsets(stack.kafka, t.group, t.input)).get(0)).toBe('60');
  });

  it('a transaction that outlives transactionTimeout is aborted by the coordinator; the partition is still ours: re-established, the batch retried, each output exactly once', async () => {
    const t = await setup('txtimeout', 2, 100);
    const transactionTimeoutMs = 2000;
    // The coordinator looks for expired transactions every this many ms (10 s unless the broker sets it):
    // stalling past timeout + interval makes sure the abort has happened before we try to commit.
    const cleanupMs = await brokerConfig(
      'transaction.abort.timed.out.transaction.cleanup.interval.ms',
      10_000,
    );
    const stallMs = transactionTimeoutMs + cleanupMs + 1500;
    let stalled = 0;
    const errors: { partition: number; fenced: boolean; type: string }[] = [];
    const report = await runSession({
      ...base,
      kafka: stack.kafka,
      groupId: t.group,
      topic: t.input,
      dlqTopic: t.dlq,
      transactionTimeoutMs,
      // the stall below sends no heartbeat: the member must not be thrown out of the group meanwhile
      sessionTimeoutMs: stallMs + 10_000,
      handler: paddedHandler(t.output, () => 50),
      hooks: {
        // A stall inside the transaction (a GC pause, a slow broker, a frozen process): outputs and
        // offsets sent, commit not yet.
        beforeCommit: async ({ partition }) => {
          if (partition !== 0 || stalled++ > 0) return;
          await new Promise((r) => setTimeout(r, stallMs));
        },
        afterTransactionError: ({ partition, fenced, error }) => {
          errors.push({ partition, fenced, type: String((error as { type?: string }).type) });
        },
      },
    });
    expect(stalled).toBeGreaterThan(0);
    expect(report.records).toBe(100);
    expect(report.stopReason).toBe('caught-up');
    expect(report.fenced).toBe(0);
    // what kafkajs 2.2.4 gets from Kafka 4.1 for an expired transaction: the same as for a fencing
    expect(errors).toEqual([{ partition: 0, fenced: false, type: 'INVALID_PRODUCER_EPOCH' }]);
    expect(report.dlq).toBe(0);
    const outputs = await drainTopic(stack.kafka, t.output, { expected: 100 });
    expect(checkExactlyOnce(t.keys, outputs)).toEqual({ missing: [], duplicates: [], unexpected: [] });
    expect(outputs).toHaveLength(100);
    expect(await committedOffsets(stack.kafka, t.group, t.input)).toEqual(
      await endOffsets(stack.kafka, t.input),
    );
  });
});
