// How much one transaction may carry. The broker refuses a record batch larger than its topic's
// max.message.bytes (MESSAGE_TOO_LARGE; RECORD_LIST_TOO_LARGE for the whole request), and kafkajs sends
// one sendBatch as one produce request per broker with one record batch per partition. So:
//   1. a chunk's outputs are sent in several requests within its one transaction, each of at most
//      `bound` bytes (estimated);
//   2. a request the broker still refuses aborts the transaction (the producer is thrown away and the
//      partition re-established, like any transactional error; the next InitProducerId aborts what was
//      sent) and the same records are tried again:
//        - the refused request held several outputs: the bound was too high for some topic. It drops to
//          half that request's size, for the rest of the session;
//        - it held a single output, which fits no request: the chunk is halved into two transactions,
//          down to a single record, whose output cannot fit at all: that record goes to the DLQ with
//          OUTPUT_TOO_LARGE, without its outputs, in the transaction that moves past it.
// Nothing is ever committed without all of its record's outputs: a record's outputs and its offset stay
// in one transaction, whatever is split.
import type { TopicMessages } from 'kafkajs';
import type { Logger } from '../telemetry/logger.ts';
import { ENGINE_EVENTS } from './events.ts';
import { byTopic } from './records.ts';
import type { BatchHandler, DlqDecision, InputRecord, OutputRecord } from './types.ts';

/** The DLQ code of a record whose own output is larger than the broker accepts (lib/errors.ts lists it). */
export const OUTPUT_TOO_LARGE = 'OUTPUT_TOO_LARGE';
const TOO_LARGE_TYPES = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);
/** A v2 record's framing at most (length, attributes, timestamp and offset deltas, lengths: varints). */
const RECORD_OVERHEAD = 40;
const HEADER_OVERHEAD = 10;
/** A record batch's own header, once per partition in a request. */
const BATCH_OVERHEAD = 61;
/**
 * Size failures of one chunk before it is halved whatever its refused request held. The bound halves
 * on each, so a request holds a single output long before; this only caps a pathological case.
 */
export const MAX_SIZE_RETRIES = 20;

const length = (v: string | Buffer | null | undefined) =>
  v == null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;

/** An upper estimate of the bytes an output takes in a record batch (uncompressed). */
export function recordBytes(m: OutputRecord): number {
  let bytes = RECORD_OVERHEAD + length(m.key) + length(m.value);
  for (const [k, v] of Object.entries(m.headers ?? {})) bytes += HEADER_OVERHEAD + length(k) + length(v);
  return bytes;
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
  readonly outputs: number;
  readonly bytes: number;
  constructor(outputs: number, bytes: number, cause: unknown) {
    super(`the broker refused ${outputs} output(s), ~${bytes} bytes, as too large`, { cause });
    this.name = 'SendTooLargeError';
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

/** Sends outputs in order, in requests of at most `bound` bytes; a refusal for size says which. */
export async function sendBounded(
  sender: { sendBatch(batch: { topicMessages: TopicMessages[] }): Promise<unknown> },
  messages: OutputRecord[],
  bound: number,
): Promise<void> {
  for (const part of splitSends(messages, bound)) {
    try {
      await sender.sendBatch({ topicMessages: byTopic(part) });
    } catch (err) {
      if (!isTooLarge(err)) throw err;
      const bytes = part.reduce((s, m) => s + recordBytes(m), BATCH_OVERHEAD);
      throw new SendTooLargeError(part.length, bytes, err);
    }
  }
}

function cut(plan: PartitionPlan, ...offsets: bigint[]): void {
  plan.cuts = [...new Set([...plan.cuts, ...offsets])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

interface PartitionPlan {
  /** a chunk must start at the first record at or after each of these offsets */
  cuts: bigint[];
  /** records isolated as too large: the DLQ decision their next transaction carries */
  dead: Map<string, DlqDecision>;
  /** size failures per chunk (`first offset+length`) */
  failures: Map<string, number>;
}

/** One per session: the bound on requests, and per partition how its records are cut after a refusal. */
export class TransactionSizer {
  /** bytes one produce request of a transaction may carry; lowered when the broker refuses one */
  bound: number;
  private readonly plans = new Map<number, PartitionPlan>();
  private readonly log: Logger | undefined;

  constructor(maxSendBytes: number, log?: Logger) {
    this.bound = maxSendBytes;
    this.log = log;
  }

  /** The fetched records (from the committed position on) cut into chunks of at most maxRecords. */
  chunks(partition: number, records: InputRecord[], maxRecords: number): InputRecord[][] {
    const plan = this.plans.get(partition);
    if (plan && records.length > 0) this.forgetBefore(plan, BigInt(records[0]!.offset));
    const cuts = plan?.cuts ?? [];
    const out: InputRecord[][] = [];
    let current: InputRecord[] = [];
    let c = 0;
    for (const r of records) {
      const offset = BigInt(r.offset);
      let atCut = false;
      while (c < cuts.length && cuts[c]! <= offset) {
        atCut = true;
        c++;
      }
      if (current.length > 0 && (atCut || current.length >= maxRecords)) {
        out.push(current);
        current = [];
      }
      current.push(r);
    }
    if (current.length > 0) out.push(current);
    return out;
  }

  /** The handler, except for a record isolated as too large: it gets its DLQ decision instead. */
  guard(handler: BatchHandler): BatchHandler {
    return async (batch) => {
      const only = batch.records.length === 1 ? batch.records[0]! : undefined;
      const decision = only && this.plans.get(batch.partition)?.dead.get(only.offset);
      if (decision) return { outputs: [], dlq: [decision] };
      return handler(batch);
    };
  }

  /** A chunk's transaction failed. If for its size, plan the next try; false for any other failure. */
  failed(chunk: InputRecord[], err: unknown): boolean {
    if (!(err instanceof SendTooLargeError) || chunk.length === 0) return false;
    const first = chunk[0]!;
    const plan = this.plan(first.partition);
    const key = `${first.offset}+${chunk.length}`;
    const failures = (plan.failures.get(key) ?? 0) + 1;
    plan.failures.set(key, failures);
    let action: string;
    if (err.outputs > 1 && failures < MAX_SIZE_RETRIES) {
      this.bound = Math.min(this.bound, Math.floor(err.bytes / 2));
      action = 'smaller requests';
    } else if (chunk.length > 1) {
      const mid = BigInt(chunk[Math.floor(chunk.length / 2)]!.offset);
      cut(plan, mid, BigInt(chunk[chunk.length - 1]!.offset) + 1n);
      action = 'chunk halved';
    } else {
      // alone in its chunk on every later try, whatever the fetch brings with it
      cut(plan, BigInt(first.offset), BigInt(first.offset) + 1n);
      plan.dead.set(first.offset, {
        offset: first.offset,
        code: OUTPUT_TOO_LARGE,
        message:
          `its output (~${err.bytes} bytes) is larger than the broker accepts on its topic ` +
          `(max.message.bytes): ${String((err.cause as Error | undefined)?.message ?? err.message)}`,
        attempts: failures,
      });
      action = 'dead-letter';
    }
    this.log?.warn(
      {
        event: ENGINE_EVENTS.tooLarge,
        partition: first.partition,
        from: first.offset,
        records: chunk.length,
        outputs: err.outputs,
        bytes: err.bytes,
        bound: this.bound,
        action,
      },
      'a request of the transaction was refused for its size; trying again smaller',
    );
    return true;
  }

  private plan(partition: number): PartitionPlan {
    let plan = this.plans.get(partition);
    if (!plan) {
      plan = { cuts: [], dead: new Map(), failures: new Map() };
      this.plans.set(partition, plan);
    }
    return plan;
  }

  /** Records before `position` are committed: what was planned for them is done. */
  private forgetBefore(plan: PartitionPlan, position: bigint): void {
    plan.cuts = plan.cuts.filter((c) => c > position);
    for (const offset of plan.dead.keys()) if (BigInt(offset) < position) plan.dead.delete(offset);
    for (const key of plan.failures.keys())
      if (BigInt(key.split('+')[0]!) < position) plan.failures.delete(key);
  }
}
