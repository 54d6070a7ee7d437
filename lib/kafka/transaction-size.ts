// How much one transaction may carry, and what happens when the broker refuses a request for its size
// (record-size.ts). Before a chunk's transaction:
//   1. each output topic's max.message.bytes is known (topic-limits.ts): the chunk's outputs are sent in
//      several requests within its one transaction, each under min(bound, the topic's limit);
//   2. an output larger than its topic's limit on its own fits no request: the handler's result is
//      refused as a non-retriable record error (OUTPUT_TOO_LARGE), so the session splits the chunk and,
//      for the record that produced it, sends the record to the DLQ in the transaction that moves past
//      it; its siblings produce their outputs.
// When the broker refuses a request anyway (the limit was lowered meanwhile, or could not be read), the
// transaction is aborted (the producer is thrown away and the partition re-established, like any
// transactional error; the next InitProducerId aborts what was sent), the limits are asked again and the
// same records are tried again:
//   - the refused request held several outputs: the bound drops to half that request's size, for the
//     rest of the session;
//   - it held a single output: the chunk is halved into two transactions, down to a single record, which
//     goes to the DLQ with OUTPUT_TOO_LARGE. The tries per chunk are capped (MAX_SIZE_RETRIES).
// Nothing is ever committed without all of its record's outputs: a record's outputs and its offset stay
// in one transaction, whatever is split.
import type { Admin } from 'kafkajs';
import type { Logger } from '../telemetry/logger.ts';
import { RecordError } from './errors.ts';
import { ENGINE_EVENTS } from './events.ts';
import { aloneBytes, SendTooLargeError } from './record-size.ts';
import { TopicLimits } from './topic-limits.ts';
import type { BatchHandler, DlqDecision, InputRecord } from './types.ts';

/** The DLQ code of a record whose own output is larger than the broker accepts (lib/errors.ts lists it). */
export const OUTPUT_TOO_LARGE = 'OUTPUT_TOO_LARGE';
/**
 * Size refusals of one chunk before it is halved whatever its refused request held. The bound halves
 * on each, so a request holds a single output long before; this only caps a pathological case.
 */
export const MAX_SIZE_RETRIES = 20;

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
  private readonly limits: TopicLimits;
  private readonly dlqTopic: string;
  private readonly log: Logger | undefined;

  constructor(o: { maxSendBytes: number; dlqTopic: string; admin: () => Admin; logger?: Logger }) {
    this.bound = o.maxSendBytes;
    this.limits = new TopicLimits(o.admin);
    this.dlqTopic = o.dlqTopic;
    this.log = o.logger;
  }

  /** Most bytes of one request to `topic` now. */
  readonly maxBytes = (topic: string): number =>
    Math.min(this.bound, this.limits.cached.get(topic) ?? Infinity);

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

  /**
   * The handler, checked against the output topics' limits; a record isolated as too large by a refusal
   * gets its DLQ decision instead.
   */
  guard(handler: BatchHandler): BatchHandler {
    return async (batch) => {
      const only = batch.records.length === 1 ? batch.records[0]! : undefined;
      const decision = only && this.plans.get(batch.partition)?.dead.get(only.offset);
      if (decision) return { outputs: [], dlq: [decision] };
      const result = await handler(batch);
      const topics = new Set([this.dlqTopic, ...result.outputs.map((m) => m.topic)]);
      const limits = new Map(
        await Promise.all([...topics].map(async (t) => [t, await this.limits.of(t)] as const)),
      );
      for (const m of result.outputs) {
        const limit = limits.get(m.topic);
        const bytes = aloneBytes(m);
        if (limit === undefined || bytes <= limit) continue;
        const offset = batch.records[0]!.offset;
        const message = `its output is ${bytes} bytes; ${m.topic} takes at most ${limit} (max.message.bytes)`;
        // non-retriable: the session splits a chunk down to the record, which goes to the DLQ at once
        throw new RecordError(offset, OUTPUT_TOO_LARGE, message, { retriable: false });
      }
      return result;
    };
  }

  /** A chunk's transaction failed. If for its size, plan the next try; false for any other failure. */
  failed(chunk: InputRecord[], err: unknown): boolean {
    if (!(err instanceof SendTooLargeError) || chunk.length === 0) return false;
    this.limits.forget();
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
        topic: err.topic,
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
