import type { EachBatchPayload } from 'kafkajs';
import type { Logger } from '../telemetry/logger.ts';
import { type DependencyUnavailableError, isDependencyUnavailable } from './errors.ts';
import { ENGINE_EVENTS } from './events.ts';
import type { Heartbeats } from './heartbeat.ts';

// A dependency outage as the session lives through it: back off between tries (growing, capped), and
// give up once the outage has lasted longer than its budget, so that the invocation ends non-zero and
// the scheduler runs it again later. Shared by all partitions of a session: one database behind them.
export class DependencyOutage {
  private since: number | undefined;
  private failures = 0;
  private readonly budgetMs: number;
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(budgetMs: number, baseMs = 250, maxMs = 5_000) {
    this.budgetMs = budgetMs;
    this.baseMs = baseMs;
    this.maxMs = maxMs;
  }

  /** One more failed try. The back-off before the next one, or undefined: the budget is spent. */
  failed(now = Date.now()): number | undefined {
    this.since ??= now;
    this.failures += 1;
    const left = this.since + this.budgetMs - now;
    if (left <= 0) return undefined;
    return Math.min(left, this.maxMs, this.baseMs * 2 ** Math.min(this.failures - 1, 10));
  }

  /**
   * Step 1 (establishing a partition) failed with `err`. A dependency outage there (the progress
   * witness's database) counts against the budget like a handler's: true once it outlasted it.
   */
  spentBy(err: unknown, report: { dependencyWaits: number }): boolean {
    if (!isDependencyUnavailable(err)) return false;
    report.dependencyWaits += 1;
    return this.failed() === undefined;
  }

  /** How long the current outage has lasted, 0 when there is none. */
  lastedMs(now = Date.now()): number {
    return this.since === undefined ? 0 : now - this.since;
  }

  /** Logs the failed try and backs off; false once the outage outlasted its budget. */
  async waitOut(
    err: DependencyUnavailableError,
    o: {
      payload: EachBatchPayload;
      partition: number;
      heartbeats: Heartbeats;
      stop: () => boolean;
      log: Logger | undefined;
    },
  ): Promise<boolean> {
    const backoffMs = this.failed();
    o.log?.warn(
      {
        event: ENGINE_EVENTS.dependencyUnavailable,
        partition: o.partition,
        dependency: err.dependency,
        outageMs: this.lastedMs(),
        backoffMs,
        err: err.cause ?? err,
      },
      backoffMs === undefined
        ? 'dependency unavailable for longer than the budget: stopping, nothing committed'
        : 'dependency unavailable: nothing committed, trying the same records again',
    );
    if (backoffMs === undefined) return false;
    await o.heartbeats.sleep(o.payload, backoffMs, o.stop);
    return !o.stop();
  }

  recovered(): void {
    this.since = undefined;
    this.failures = 0;
  }
}
