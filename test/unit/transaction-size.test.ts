// How the engine sizes a transaction's produce requests and what it does when an output is too large
// for its topic (lib/kafka/record-size.ts, topic-limits.ts, transaction-size.ts).
import { createRequire } from 'node:module';
import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { RecordError } from '../../lib/kafka/errors.ts';
import {
  aloneBytes,
  BATCH_OVERHEAD,
  recordBytes,
  SendTooLargeError,
  sendBounded,
  splitSends,
} from '../../lib/kafka/record-size.ts';
import { MAX_SIZE_RETRIES, OUTPUT_TOO_LARGE, TransactionSizer } from '../../lib/kafka/transaction-size.ts';
import type { InputRecord, OutputRecord } from '../../lib/kafka/types.ts';

const out = (i: number, size = 100, topic = 't'): OutputRecord => ({
  topic,
  key: `k${i}`,
  value: 'x'.repeat(size),
});
const input = (offset: number): InputRecord => ({
  topic: 'in',
  partition: 0,
  offset: String(offset),
  key: null,
  value: null,
  headers: {},
  timestamp: '0',
});
const inputs = (from: number, n: number) => Array.from({ length: n }, (_, i) => input(from + i));
const offsets = (chunks: InputRecord[][]) => chunks.map((c) => c.map((r) => Number(r.offset)));
const tooLarge = { type: 'MESSAGE_TOO_LARGE', message: 'too large' };

/** An admin that answers max.message.bytes for every topic (or fails, when limit is undefined). */
function adminWith(limit: number | undefined, asked: string[] = []): () => Admin {
  const admin = {
    async describeConfigs({ resources }: { resources: { name: string }[] }) {
      asked.push(resources[0]!.name);
      if (limit === undefined) throw new Error('not allowed');
      return {
        resources: [{ configEntries: [{ configName: 'max.message.bytes', configValue: String(limit) }] }],
      };
    },
  };
  return () => admin as unknown as Admin;
}
const sizer = (maxSendBytes: number, limit?: number, asked?: string[]) =>
  new TransactionSizer({ maxSendBytes, dlqTopic: 'dlq', admin: adminWith(limit, asked) });

describe('record sizes and requests', () => {
  it('knows the exact size of a batch holding one output, as kafkajs encodes it', async () => {
    const require = createRequire(import.meta.url);
    const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
      RecordBatch: (o: unknown) => Promise<{ buffer: Buffer }>;
    };
    const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (o: unknown) => unknown;
    for (const m of [
      out(1, 10),
      out(2, 300),
      out(3, 70_000),
      { topic: 't', key: null, value: 'v', headers: { src: '3:17', trace: Buffer.alloc(200) } },
    ] as OutputRecord[]) {
      const toBuffer = (v: string | Buffer | null | undefined) =>
        v == null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v);
      const headers = Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, toBuffer(v)]));
      const batch = await RecordBatch({
        records: [Record({ key: toBuffer(m.key), value: toBuffer(m.value), headers })],
      });
      expect(aloneBytes(m)).toBe(batch.buffer.length);
      expect(recordBytes(m) + BATCH_OVERHEAD).toBeGreaterThanOrEqual(aloneBytes(m));
    }
  });

  it('splits outputs into consecutive sends of at most the bound; an output over it goes alone', () => {
    const messages = [out(0), out(1), out(2), out(3, 5000), out(4), out(5)];
    const sends = splitSends(messages, 400);
    expect(sends.flat()).toEqual(messages);
    expect(sends.map((s) => s.map((m) => m.key))).toEqual([['k0', 'k1'], ['k2'], ['k3'], ['k4', 'k5']]);
    for (const s of sends.filter((s) => s.length > 1))
      expect(s.reduce((n, m) => n + recordBytes(m), BATCH_OVERHEAD)).toBeLessThanOrEqual(400);
  });

  it('sends topic by topic under each topic’s bound; names a refused send and passes other errors through', async () => {
    const sent: string[] = [];
    const sender = {
      async sendBatch({ topicMessages }: { topicMessages: { topic: string; messages: unknown[] }[] }) {
        const [{ topic, messages }] = topicMessages as [{ topic: string; messages: unknown[] }];
        if (sent.length === 3) throw tooLarge;
        sent.push(`${topic}:${messages.length}`);
      },
    };
    const messages = [out(0, 100, 'a'), out(1, 100, 'b'), out(2, 100, 'a'), out(3, 100, 'b'), out(4)];
    const err = await sendBounded(sender, [...messages, out(5), out(6)], (t) =>
      t === 'a' ? 1000 : 400,
    ).catch((e) => e);
    expect(sent).toEqual(['a:2', 'b:2', 't:2']);
    expect(err).toBeInstanceOf(SendTooLargeError);
    expect([err.topic, err.outputs]).toEqual(['t', 1]);
    const other = { type: 'NOT_LEADER_FOR_PARTITION' };
    const failing = { sendBatch: async () => Promise.reject(other) };
    await expect(sendBounded(failing, [out(0)], () => 400)).rejects.toBe(other);
  });
});

describe('transaction sizer', () => {
  it("learns each output topic's limit and bounds requests by it", async () => {
    const asked: string[] = [];
    const s = sizer(512 * 1024, 2048, asked);
    expect(s.maxBytes('t')).toBe(512 * 1024);
    const handler = s.guard(async () => ({ outputs: [out(0), out(1)] }));
    await handler({ topic: 'in', partition: 0, records: inputs(0, 2), attempt: 1 });
    await handler({ topic: 'in', partition: 0, records: inputs(2, 2), attempt: 1 });
    expect(s.maxBytes('t')).toBe(2048);
    expect(s.maxBytes('dlq')).toBe(2048);
    expect(asked.sort()).toEqual(['dlq', 't']); // once per topic
  });

  it('an output larger than its topic takes is a non-retriable OUTPUT_TOO_LARGE record error', async () => {
    const s = sizer(512 * 1024, 2048);
    const handler = s.guard(async ({ records }) => ({
      outputs: records.map((r) => out(Number(r.offset), r.offset === '7' ? 5000 : 100)),
    }));
    const err = await handler({ topic: 'in', partition: 0, records: inputs(6, 1), attempt: 1 })
      .then(() => undefined)
      .catch((e) => e);
    expect(err).toBeUndefined();
    const refused = await handler({ topic: 'in', partition: 0, records: inputs(7, 1), attempt: 1 }).catch(
      (e) => e,
    );
    expect(refused).toBeInstanceOf(RecordError);
    expect([refused.code, refused.retriable, refused.offset]).toEqual([OUTPUT_TOO_LARGE, false, '7']);
    expect(refused.message).toMatch(/max\.message\.bytes/);
    // without a known limit (the cluster would not say), nothing is refused in advance
    const blind = sizer(512 * 1024, undefined).guard(async () => ({ outputs: [out(0, 5000)] }));
    await expect(
      blind({ topic: 'in', partition: 0, records: inputs(0, 1), attempt: 1 }),
    ).resolves.toBeTruthy();
  });

  it('a refused send of several outputs halves the bound below it; the chunk stays whole', () => {
    const s = sizer(512 * 1024);
    const chunk = inputs(0, 100);
    expect(s.failed(chunk, new SendTooLargeError('t', 50, 10_000, tooLarge))).toBe(true);
    expect(s.bound).toBe(5000);
    expect(offsets(s.chunks(0, inputs(0, 100), 1000))).toEqual([inputs(0, 100).map((_, i) => i)]);
    expect(s.failed(chunk, new Error('broker away'))).toBe(false);
  });

  it('a refused single output halves the chunk, down to the one record, which is dead-lettered', async () => {
    const s = sizer(1024);
    const huge = new SendTooLargeError('t', 1, 5000, tooLarge);
    s.failed(inputs(0, 8), huge);
    expect(offsets(s.chunks(0, inputs(0, 12), 1000)).map((c) => c[0])).toEqual([0, 4, 8]);
    s.failed(inputs(4, 4), huge);
    s.failed(inputs(6, 2), huge);
    expect(offsets(s.chunks(0, inputs(4, 8), 1000))).toEqual([[4, 5], [6], [7], [8, 9, 10, 11]]);
    s.failed(inputs(6, 1), huge);
    const handler = s.guard(async () => ({ outputs: [out(0)] }));
    const dead = await handler({ topic: 'in', partition: 0, records: inputs(6, 1), attempt: 1 });
    expect(dead.outputs).toEqual([]);
    expect(dead.dlq?.map((d) => [d.offset, d.code])).toEqual([['6', OUTPUT_TOO_LARGE]]);
    // its siblings are handled as usual
    const sibling = await handler({ topic: 'in', partition: 0, records: inputs(7, 1), attempt: 1 });
    expect(sibling.outputs).toHaveLength(1);
    // once the position is past them, the plan is forgotten
    expect(offsets(s.chunks(0, inputs(12, 4), 1000))).toEqual([[12, 13, 14, 15]]);
  });

  it('the attempts are capped: a chunk refused MAX_SIZE_RETRIES times is halved whatever its sends held', () => {
    const s = sizer(1024 * 1024);
    const chunk = inputs(0, 10);
    for (let i = 1; i < MAX_SIZE_RETRIES; i++)
      s.failed(chunk, new SendTooLargeError('t', 2, 1_000_000, tooLarge));
    expect(offsets(s.chunks(0, chunk, 1000))).toHaveLength(1);
    s.failed(chunk, new SendTooLargeError('t', 2, 1_000_000, tooLarge));
    expect(offsets(s.chunks(0, chunk, 1000)).map((c) => c.length)).toEqual([5, 5]);
  });
});
