// The producer's encoding, patched for speed (patches/kafkajs+2.2.4.patch): the batch checksum
// computed natively, encoder buffers not zero-filled, messages grouped per partition in one pass.
// Each must give exactly the bytes and groups upstream kafkajs gave; the references are upstream's own
// table CRC32-C, its zero-filled buffers (allocation mocked) and a copy of its copying reduce.
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';

const require = createRequire(import.meta.url);
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C') as (b: Buffer) => number;
const tableCrc32C = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C') as (b: Buffer) => number;
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (o: object) => unknown;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (o: object) => Promise<{ buffer: Buffer }>;
};
const groupMessagesPerPartition = require('kafkajs/src/producer/groupMessagesPerPartition') as (o: {
  topic: string;
  partitionMetadata: { partitionId: number }[];
  messages: { key: string }[];
  partitioner: (o: { message: { key: string } }) => number;
}) => Record<string, { key: string }[]>;

describe('kafkajs producer encoding patches', () => {
  it('computes the same CRC32-C as the table implementation, unsigned, with the native binding', () => {
    // the patch falls back to the table silently where the binding does not load: here it must load
    expect(typeof (require('@node-rs/crc32') as { crc32c: unknown }).crc32c).toBe('function');
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

  // Upstream zero-filled every buffer: encode a whole record batch (records with keys, values and
  // headers, as a produce request carries them) once with the patched buffers full of garbage and once
  // zero-filled as upstream had them; the bytes must be the same, so no unwritten byte is ever sent.
  it('encodes record batches byte for byte as with zero-filled buffers', async () => {
    const header = fc.dictionary(
      fc.string({ unit: 'grapheme', maxLength: 12 }),
      fc.string({ maxLength: 40 }),
      {
        maxKeys: 3,
      },
    );
    const message = fc.record({
      key: fc.option(fc.string({ unit: 'grapheme', maxLength: 40 })),
      value: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 600 }), fc.uint8Array({ maxLength: 3000 })),
      headers: header,
    });
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 40 }), async (messages) => {
        const encode = async (fill: number) => {
          const spy = vi
            .spyOn(Buffer, 'allocUnsafe')
            .mockImplementation((n: number) => Buffer.alloc(n, fill));
          try {
            const records = messages.map((m, i) =>
              Record({
                key: m.key,
                value: typeof m.value === 'string' ? m.value : Buffer.from(m.value),
                headers: m.headers,
                offsetDelta: i,
                timestampDelta: i,
              }),
            );
            const batch = await RecordBatch({
              records,
              firstTimestamp: 1,
              maxTimestamp: 2,
              transactional: true,
            });
            return Buffer.from(batch.buffer);
          } finally {
            spy.mockRestore();
          }
        };
        const dirty = await encode(0xab);
        expect(dirty.equals(await encode(0))).toBe(true);
      }),
      { numRuns: 150 },
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
