// How the engine bounds a transaction's produce requests and what it does when the broker refuses one
// for its size (lib/kafka/transaction-size.ts).
import { describe, expect, it } from 'vitest';
import {
  MAX_SIZE_RETRIES,
  OUTPUT_TOO_LARGE,
  recordBytes,
  SendTooLargeError,
  sendBounded,
  splitSends,
  TransactionSizer,
} from '../../lib/kafka/transaction-size.ts';
import type { InputRecord, OutputRecord } from '../../lib/kafka/types.ts';

const out = (i: number, size = 100): OutputRecord => ({ topic: 't', key: `k${i}`, value: 'x'.repeat(size) });
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

describe('transaction size', () => {
  it('splits outputs into consecutive sends of at most the bound; an output over it goes alone', () => {
    const messages = [out(0), out(1), out(2), out(3, 5000), out(4), out(5)];
    const sends = splitSends(messages, 400);
    expect(sends.flat()).toEqual(messages);
    expect(sends.map((s) => s.map((m) => m.key))).toEqual([['k0', 'k1'], ['k2'], ['k3'], ['k4', 'k5']]);
    for (const s of sends.filter((s) => s.length > 1))
      expect(s.reduce((n, m) => n + recordBytes(m), 61)).toBeLessThanOrEqual(400);
  });

  it('names the refused send (how many outputs, how many bytes) and passes other errors through', async () => {
    const sent: number[] = [];
    const sender = {
      async sendBatch({ topicMessages }: { topicMessages: { messages: unknown[] }[] }) {
        const n = topicMessages[0]!.messages.length;
        if (sent.length === 1) throw tooLarge;
        sent.push(n);
      },
    };
    const err = await sendBounded(sender, [out(0), out(1), out(2), out(3)], 400).catch((e) => e);
    expect(err).toBeInstanceOf(SendTooLargeError);
    expect(err.outputs).toBe(2);
    expect(sent).toEqual([2]);
    const other = { type: 'NOT_LEADER_FOR_PARTITION' };
    const failing = { sendBatch: async () => Promise.reject(other) };
    await expect(sendBounded(failing, [out(0)], 400)).rejects.toBe(other);
  });

  it('a refused send of several outputs halves the bound below it; the chunk stays whole', () => {
    const sizer = new TransactionSizer(512 * 1024);
    const chunk = inputs(0, 100);
    expect(sizer.failed(chunk, new SendTooLargeError(50, 10_000, tooLarge))).toBe(true);
    expect(sizer.bound).toBe(5000);
    expect(offsets(sizer.chunks(0, inputs(0, 100), 1000))).toEqual([inputs(0, 100).map((_, i) => i)]);
    expect(sizer.failed(chunk, new Error('broker away'))).toBe(false);
  });

  it('a single output that fits no send halves the chunk, down to the one record, which is dead-lettered', async () => {
    const sizer = new TransactionSizer(1024);
    const huge = new SendTooLargeError(1, 5000, tooLarge);
    sizer.failed(inputs(0, 8), huge);
    expect(offsets(sizer.chunks(0, inputs(0, 12), 1000)).map((c) => c[0])).toEqual([0, 4, 8]);
    sizer.failed(inputs(4, 4), huge);
    sizer.failed(inputs(6, 2), huge);
    expect(offsets(sizer.chunks(0, inputs(4, 8), 1000))).toEqual([[4, 5], [6], [7], [8, 9, 10, 11]]);
    sizer.failed(inputs(6, 1), huge);
    const handler = sizer.guard(async () => ({ outputs: [out(0)] }));
    const dead = await handler({ topic: 'in', partition: 0, records: inputs(6, 1), attempt: 1 });
    expect(dead.outputs).toEqual([]);
    expect(dead.dlq?.map((d) => [d.offset, d.code])).toEqual([['6', OUTPUT_TOO_LARGE]]);
    // its siblings are handled as usual
    expect(
      (await handler({ topic: 'in', partition: 0, records: inputs(7, 1), attempt: 1 })).outputs,
    ).toHaveLength(1);
    // once the position is past them, the plan is forgotten
    expect(offsets(sizer.chunks(0, inputs(12, 4), 1000))).toEqual([[12, 13, 14, 15]]);
  });

  it('the attempts are capped: a chunk refused MAX_SIZE_RETRIES times is halved whatever its sends held', () => {
    const sizer = new TransactionSizer(1024 * 1024);
    const chunk = inputs(0, 10);
    for (let i = 1; i < MAX_SIZE_RETRIES; i++)
      sizer.failed(chunk, new SendTooLargeError(2, 1_000_000, tooLarge));
    expect(offsets(sizer.chunks(0, chunk, 1000))).toHaveLength(1);
    sizer.failed(chunk, new SendTooLargeError(2, 1_000_000, tooLarge));
    expect(offsets(sizer.chunks(0, chunk, 1000)).map((c) => c.length)).toEqual([5, 5]);
  });
});
