// Keeping a member alive while it works: kafkajs heartbeats only between batches, and an LLM-backed
// handler or a retry back-off can outlast the session timeout.
//
// A heartbeat is also how a member learns that the group is rebalancing (a new invocation joined, one
// left). kafkajs rejoins when its own heartbeat after a batch says so — but only once its heartbeat
// interval has passed since the last one, and the heartbeats sent during the handler keep resetting
// that clock. A member busy with one batch after another therefore never rejoined: the invocations
// that joined after it waited for the whole rebalance timeout (30 s) with nothing to do (bench:pipeline:
// one of three invocations evaluated all 5,000 jobs). The heartbeats here keep the answer instead of
// dropping it; the session then stops its work in hand, commits nothing more, and throws the error
// from its batch so that kafkajs rejoins at once. The verifier's negative controls (unsafe-delivery.ts)
// still commit what they finished first, as kafkajs' own at-least-once runner does when its heartbeat
// reports a rebalance: they stand for the naive pipeline, whose duplicates the verifier must catch.
import { createRequire } from 'node:module';
import type { EachBatchPayload } from 'kafkajs';

const { isRebalancing } = createRequire(import.meta.url)('kafkajs/src/errors') as {
  isRebalancing: (err: unknown) => boolean;
};

/** A member's heartbeats while it works or waits, and what they said about a rebalance since it joined. */
export class Heartbeats {
  private seen: unknown;
  /** joins so far: a heartbeat's answer that arrives after a join speaks of the generation before */
  private joins = 0;
  private readonly intervalMs: number;
  private readonly onRebalance: (() => void) | undefined;
  /**
   * `onRebalance` runs once per rebalance, when a heartbeat first reports it. A member that stops its
   * work on a rebalance passes one, and its sleeps end early too; the negative controls pass none.
   */
  constructor(intervalMs: number, onRebalance?: () => void) {
    this.intervalMs = intervalMs;
    this.onRebalance = onRebalance;
  }

  get rebalancing(): boolean {
    return this.seen !== undefined;
  }

  /** A rebalance was reported and this member stops its work for it (it passed `onRebalance`). */
  get workStopped(): boolean {
    return this.onRebalance !== undefined && this.seen !== undefined;
  }

  /** Thrown out of eachBatch, kafkajs' rebalancing error makes its runner rejoin the group now. */
  throwIfRebalancing(): void {
    if (this.seen !== undefined) throw this.seen;
  }

  joined(): void {
    this.joins += 1;
    this.seen = undefined;
  }

  /** Runs `fn`, heartbeating every interval. */
  async during<T>(payload: EachBatchPayload, fn: () => Promise<T>): Promise<T> {
    const beat = setInterval(() => void this.beat(payload), this.intervalMs);
    try {
      return await fn();
    } finally {
      clearInterval(beat);
    }
  }

  /** Sleeps `ms`, heartbeating, and returns early once `stop()` says so or a rebalance stops the work. */
  async sleep(payload: EachBatchPayload, ms: number, stop: () => boolean): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && !stop() && !this.workStopped) {
      await new Promise((r) => setTimeout(r, Math.min(this.intervalMs, until - Date.now())));
      await this.beat(payload);
    }
  }

  /** kafkajs' own test (errors.js `isRebalancing`), as its runner uses, decides what a failed heartbeat means. */
  private async beat(payload: EachBatchPayload): Promise<void> {
    const joins = this.joins;
    try {
      await payload.heartbeat();
    } catch (err) {
      if (joins !== this.joins || this.seen !== undefined || !isRebalancing(err)) return;
      this.seen = err;
      this.onRebalance?.();
    }
  }
}
