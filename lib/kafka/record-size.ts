// How many bytes outputs take on the wire, and sending them in produce requests the broker accepts. The
// broker refuses a record batch larger than its topic's max.message.bytes (MESSAGE_TOO_LARGE;
// RECORD_LIST_TOO_LARGE for the whole request), and kafkajs sends one sendBatch as one produce request
// per broker with one uncompressed record batch per partition.
import type { TopicMessages } from 'kafkajs';
import { byTopic } from './records.ts';
import type { OutputRecord } from './types.ts';

const TOO_LARGE_TYPES = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);
/** A v2 record's framing at most (length, attributes, timestamp and offset deltas, lengths: varints). */
const RECORD_OVERHEAD = 40;
const HEADER_OVERHEAD = 10;
/** A record batch's own header (with the log's offset and length), once per partition in a request. */
export const BATCH_OVERHEAD = 61;

const length = (v: string | Buffer | null | undefined) =>
  v == null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;

/** An upper estimate of the bytes an output takes in a record batch of several. */
export function recordBytes(m: OutputRecord): number {
  let bytes = RECORD_OVERHEAD + length(m.key) + length(m.value);
  for (const [k, v] of Object.entries(m.headers ?? {})) bytes += HEADER_OVERHEAD + length(k) + length(v);
  return bytes;
}

/** Bytes of a zigzag varint. */
function varint(n: number): number {
  let z = n < 0 ? -2 * n - 1 : 2 * n;
  let bytes = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 0x80);
    bytes++;
  }
  return bytes;
}

const field = (v: string | Buffer | null | undefined) =>
  v == null ? varint(-1) : varint(length(v)) + length(v);

/**
 * The exact size of a record batch holding this output alone, as the broker compares it with the
 * topic's max.message.bytes: when it is larger, the output fits no request at all.
 */
export function aloneBytes(m: OutputRecord): number {
  // attributes, timestamp delta 0, offset delta 0
  let body = 1 + 1 + 1 + field(m.key) + field(m.value);
  const headers = Object.entries(m.headers ?? {});
  body += varint(headers.length);
  for (const [k, v] of headers) body += field(k) + field(v);
  return BATCH_OVERHEAD + varint(body) + body;
}

/** Consecutive runs of outputs of at most `bound` estimated bytes each; an output over it goes alone. */
export function splitSends(messages: OutputRecord[], bound: number): OutputRecord[][] {
  const sends: OutputRecord[][] = [];
  let current: OutputRecord[] = [];
  let bytes = BATCH_OVERHEAD;
  for (const m of messages) {
    const size = recordBytes(m);
    if (current.length > 0 && bytes + size > bound) {
      sends.push(current);
      current = [];
      bytes = BATCH_OVERHEAD;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) sends.push(current);
  return sends;
}

/** A request of a transaction was refused for its size. */
export class SendTooLargeError extends Error {
  readonly topic: string;
  readonly outputs: number;
  readonly bytes: number;
  constructor(topic: string, outputs: number, bytes: number, cause: unknown) {
    super(`the broker refused ${outputs} output(s) to ${topic}, ~${bytes} bytes, as too large`, { cause });
    this.name = 'SendTooLargeError';
    this.topic = topic;
    this.outputs = outputs;
    this.bytes = bytes;
  }
}

function isTooLarge(err: unknown): boolean {
  for (let e = err as { type?: string; cause?: unknown } | undefined, depth = 0; e && depth < 8; depth++) {
    if (e.type !== undefined && TOO_LARGE_TYPES.has(e.type)) return true;
    e = (e.cause ?? (e as { originalError?: unknown }).originalError) as typeof e;
  }
  return false;
}

/**
 * Sends outputs topic by topic, in order, in requests of at most `bound(topic)` bytes; a refusal for
 * size says which request it was.
 */
export async function sendBounded(
  sender: { sendBatch(batch: { topicMessages: TopicMessages[] }): Promise<unknown> },
  messages: OutputRecord[],
  bound: (topic: string) => number,
): Promise<void> {
  const topics = [...new Set(messages.map((m) => m.topic))];
  for (const topic of topics) {
    for (const part of splitSends(
      messages.filter((m) => m.topic === topic),
      bound(topic),
    )) {
      try {
        await sender.sendBatch({ topicMessages: byTopic(part) });
      } catch (err) {
        if (!isTooLarge(err)) throw err;
        const bytes = part.reduce((s, m) => s + recordBytes(m), BATCH_OVERHEAD);
        throw new SendTooLargeError(topic, part.length, bytes, err);
      }
    }
  }
}
