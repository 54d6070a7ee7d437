// A session's figures: kept in its report (logged once at the end) and exported as metrics as they happen.
import { telemetryMetrics } from '../telemetry/metrics.ts';
import type { DeliveryMode, HandlerResult, SessionReport } from './types.ts';

export class SessionCounters {
  readonly report: SessionReport;
  private readonly startedAt = Date.now();

  private readonly topic: string;

  constructor(mode: DeliveryMode, topic: string) {
    this.topic = topic;
    this.report = {
      ...{ records: 0, outputs: 0, transactions: 0, commits: 0, aborts: 0, fenced: 0, dlq: 0 },
      ...{ handlerErrors: 0, dependencyWaits: 0, rebalances: 0, refused: 0 },
      ...{ durationMs: 0, firstCommitMs: null },
      stopReason: 'stopped',
      mode,
      shutdownTimedOut: false,
    };
  }

  elapsedMs(): number {
    return Date.now() - this.startedAt;
  }

  /** Starts timing one transaction; call the result with its outcome. */
  transaction(): (outcome: 'commit' | 'abort' | 'fenced') => void {
    this.report.transactions += 1;
    const started = performance.now();
    return (outcome) => {
      if (outcome !== 'commit') this.report.aborts += 1;
      const m = telemetryMetrics();
      m.transactions.add(1, { role: 'consume', outcome });
      m.transactionDuration.record(performance.now() - started, { role: 'consume', outcome });
    };
  }

  committed(records: number, result: HandlerResult): void {
    const r = this.report;
    const dead = result.dlq?.length ?? 0;
    r.commits += 1;
    r.firstCommitMs ??= this.elapsedMs();
    r.records += records;
    r.outputs += result.outputs.length;
    r.dlq += dead;
    const m = telemetryMetrics();
    m.records.add(records - dead, { topic: this.topic, outcome: 'committed' });
    if (dead) {
      m.records.add(dead, { topic: this.topic, outcome: 'dlq' });
      m.dlq.add(dead, { topic: this.topic });
    }
  }
}
