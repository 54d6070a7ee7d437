// The producer's encoding, patched for speed (patches/kafkajs+2.2.4.patch): the batch checksum
// computed natively, encoder buffers not zero-filled, messages grouped per partition in one pass.
// Each must give exactly the bytes and groups upstream kafkajs gave; the upstream code runs here as
// the reference (the table CRC32-C and a re-implementation of the copying reduce).
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C') as (b: Buffer) => number;
const tableCrc32C = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C') as (b: Buffer) => number;
const Encoder = require('kafkajs/src/protocol/encoder') as new () => {
  writeInt32(v: number): unknown;
  writeVarIntString(v: string): unknown;
  writeBytes(v: Buffer): unknown;
  buffer: Buffer;
};
const groupMessagesPerPartition = require('kafkajs/src/producer/groupMessagesPerPartition') as (o: {
  topic: string;
  partitionMetadata: { partitionId: number }[];
  messages: { key: string }[];
  partitioner: (o: { message: { key: string } }) => number;
}) => Record<string, { key: string }[]>;

describe('kafkajs producer encoding patches', () => {
  it('computes the same CRC32-C as the table implementation, unsigned', () => {
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283); // the standard check value
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        const b = Buffer.from(bytes);
        const got = crc32C(b);
        expect(got).toBe(tableCrc32C(b));
        expect(got).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 300 },
    );
  });

  it('encodes the same bytes whatever memory the unzeroed buffers held before', () => {
    const encode = (values: { n: number; s: string; b: Uint8Array }[]) => {
      const e = new Encoder();
      for (const v of values) {
        e.writeInt32(v.n);
        e.writeVarIntString(v.s);
        e.writeBytes(Buffer.from(v.b));
      }
      return Buffer.from(e.buffer);
    };
    const value = fc.record({
      n: fc.integer(),
      s: fc.string({ maxLength: 300 }),
      b: fc.uint8Array({ maxLength: 900 }),
    });
    fc.assert(
      fc.property(fc.array(value, { maxLength: 20 }), (values) => {
        const first = encode(values);
        // dirty the allocation pool, then encode again: growth must never expose stale bytes
        Buffer.allocUnsafe(8192).fill(0xab);
        expect(encode(values).equals(first)).toBe(true);
        // and the length is exactly what was written
        const expected = values.reduce(
          (n, v) => n + 4 + varIntSize(Buffer.byteLength(v.s)) + Buffer.byteLength(v.s) + 4 + v.b.length,
          0,
        );
        expect(first.length).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('groups messages per partition in their order, as the copying reduce did', () => {
    const upstream = (messages: { key: string }[], partitionOf: (k: string) => number) =>
      messages.reduce<Record<string, { key: string }[]>>((result, message) => {
        const partition = partitionOf(message.key);
        return Object.assign(result, { [partition]: [...(result[partition] ?? []), message] });
      }, {});
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 8 }), { maxLength: 200 }),
        fc.integer({ min: 1, max: 12 }),
        (keys, n) => {
          const messages = keys.map((key) => ({ key }));
          const partitionOf = (k: string) => [...k].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % n;
          const got = groupMessagesPerPartition({
            topic: 't',
            partitionMetadata: Array.from({ length: n }, (_, partitionId) => ({ partitionId })),
            messages,
            partitioner: ({ message }) => partitionOf(message.key),
          });
          expect(got).toEqual(upstream(messages, partitionOf));
        },
      ),
    );
  });
});

/** zig-zag varint size of a non-negative length, as Encoder.writeVarIntString prefixes it */
function varIntSize(length: number): number {
  let v = length * 2;
  let size = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    size++;
  }
  return size;
}
