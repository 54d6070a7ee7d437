// The service's metrics (OpenTelemetry; exportable to Prometheus through the collector).
import { metrics } from '@opentelemetry/api';

const meter = () => metrics.getMeter('cv-evaluator');

let instruments: ReturnType<typeof create> | undefined;
function create() {
  const m = meter();
  return {
    transactions: m.createCounter('kafka.transactions', {
      description: 'Kafka transactions by role (consume|request) and outcome (commit|abort|fenced)',
    }),
    transactionDuration: m.createHistogram('kafka.transaction.duration', {
      unit: 'ms',
      description: 'time to commit or fail',
      // Up to and past the transaction timeouts (request 10 s, consume 30 s), with edges at 80 % of
      // each, so the KafkaTransactionNearTimeout alert can see a p99 approaching them.
      advice: {
        explicitBucketBoundaries: [
          5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 8000, 10_000, 15_000, 24_000, 30_000, 60_000,
        ],
      },
    }),
    records: m.createCounter('kafka.records', { description: 'input records by outcome (committed|dlq)' }),
    partitionsRefused: m.createCounter('kafka.partitions.refused', {
      description: 'input partitions refused: committed offset gone or behind the recorded position',
    }),
    jobs: m.createCounter('jobs.outcomes', {
      description: 'jobs by outcome (completed|failed|replayed|duplicate|poison)',
    }),
    dlq: m.createCounter('dlq.records', { description: 'records sent to the DLQ' }),
    evaluationDuration: m.createHistogram('evaluation.duration', {
      unit: 'ms',
      description: 'one job, all steps',
    }),
    invocationDuration: m.createHistogram('invocation.duration', {
      unit: 'ms',
      description: 'one invocation of evaluate or notify (by function and stop_reason)',
    }),
    httpDuration: m.createHistogram('http.server.duration', {
      unit: 'ms',
      description: 'HTTP requests by route and status',
    }),
  };
}

/** Instruments, created on first use so that a test's meter provider (set before) is the one used. */
export function telemetryMetrics(): ReturnType<typeof create> {
  instruments ??= create();
  return instruments;
}

export { meter };
