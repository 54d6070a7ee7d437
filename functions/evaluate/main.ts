// The evaluate function: one invocation drains its share of evaluate-jobs within a budget, commits and
// exits with a report (exit 0; non-zero tells a job platform to retry). `--loop` runs invocations back
// to back with a pause: the scheduler for compose and local use.
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../../lib/config.ts';
import { closeDatabase, createDatabase } from '../../lib/db/database.ts';
import { createProvider } from '../../lib/evaluation/providers/index.ts';
import { warmUpEvaluation } from '../../lib/evaluation/warm-up.ts';
import { createEvaluateHandler } from '../../lib/jobs/evaluate-handler.ts';
import { evaluateProgress } from '../../lib/jobs/evaluate-progress.ts';
import { invocationFinished, runInvocations } from '../../lib/jobs/invocations.ts';
import { sweepRetention } from '../../lib/jobs/retention.ts';
import { sweepUnpublished } from '../../lib/jobs/sweeper.ts';
import { createKafka } from '../../lib/kafka/client.ts';
import { RequestPublisher } from '../../lib/kafka/request-publisher.ts';
import { runSession } from '../../lib/kafka/session.ts';
import { ensureTopics } from '../../lib/kafka/topics.ts';
import { RESULTS_TOPIC_SETTINGS } from '../../lib/records/result-event.ts';
import { createLogger } from '../../lib/telemetry/logger.ts';
import { startTelemetry } from '../../lib/telemetry/otel.ts';
import { serializeError } from '../../lib/telemetry/serialize-error.ts';
import { stopOnSignals } from '../../lib/util/stop-deadline.ts';

const { values } = parseArgs({ options: { loop: { type: 'boolean', default: false } } });
const config = loadConfigOrExit();
const telemetry = await startTelemetry({ serviceName: `${config.appName}-evaluate` });
const logger = createLogger({ level: config.logLevel, format: config.logFormat, name: 'evaluate' });
const db = createDatabase(config.database.url, {
  poolSize: config.database.poolSize,
  queryTimeoutMs: config.database.queryTimeoutMs,
});
const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `${config.appName}-evaluate`, logger });
// Retention goes through whole tables in batches (a first sweep after RETENTION_DAYS is set meets all
// of them): its statements get a bound of their own, not the request-sized one (one connection).
const maintenance = createDatabase(config.database.url, {
  poolSize: 1,
  queryTimeoutMs: config.database.maintenanceTimeoutMs,
});
const provider = await createProvider(config.llm);
// before the group hands this invocation partitions, not while their first jobs wait; a warm-up that
// fails costs the first jobs that time instead, and is no reason not to take work
await warmUpEvaluation(provider, { telemetry: telemetry.enabled }).catch((err: unknown) =>
  logger.warn({ err: serializeError(err) }, 'warm-up failed; the first jobs pay for it'),
);
const progress = evaluateProgress(db, logger);
const t = config.kafka.topics;

const controller = new AbortController();
// The stop has one deadline from the signal (lib/util/stop-deadline.ts); each step is named for its log.
const stop = stopOnSignals({
  timeoutMs: config.shutdownTimeoutMs,
  log: logger,
  message: 'stopping: finishing the transaction in hand, then leaving the group',
  stop: () => controller.abort(),
});

let exitCode = 0;
try {
  await ensureTopics(kafka, [t.jobs, t.results, t.dlq], {
    partitions: config.kafka.partitions,
    replicationFactor: config.kafka.replicationFactor,
    settings: { [t.results]: RESULTS_TOPIC_SETTINGS },
  });
  const invoke = async (invocation: number) => {
    const started = Date.now();
    stop.step('the sweeper (unpublished jobs, retention)');
    const publisher = new RequestPublisher({
      kafka,
      app: config.appName,
      instanceId: `${config.instanceId}-sweeper`,
      slots: 1,
      logger,
    });
    const swept = await sweepUnpublished({
      db,
      publish: (r) => publisher.publish(r),
      jobsTopic: t.jobs,
      publishing: config.publish,
      olderThanMs: config.evaluate.sweepUnpublishedAfterMs,
      logger,
    }).catch((err) => {
      logger.warn({ err }, 'sweeper failed; the next invocation tries again');
      return 0;
    });
    await sweepRetention({
      db: maintenance,
      publishAll: (rs) => publisher.publishAll(rs),
      resultsTopic: t.results,
      days: config.retention.days,
      logger,
    }).catch((err) =>
      logger.warn({ err: serializeError(err) }, 'retention sweep failed; the next invocation tries again'),
    );
    await publisher.close();
    if (controller.signal.aborted) return undefined;
    stop.step('the invocation in hand (its transaction, then leaving the group)');
    const handler = createEvaluateHandler({
      db,
      provider,
      resultsTopic: t.results,
      maxAttempts: config.evaluate.maxAttempts,
      concurrency: config.evaluate.concurrency,
      claimLeaseMs: config.evaluate.claimLeaseMs,
      logger,
    });
    // The commit stage's time (outputs + offsets sent, transaction committed), for the report and bench.
    const handedBack = new Map<number, number>();
    let commitMs = 0;
    const report = await runSession({
      kafka,
      app: config.appName,
      groupId: config.kafka.evaluateGroup,
      topic: t.jobs,
      dlqTopic: t.dlq,
      handler: async (input) => {
        const result = await handler(input);
        handedBack.set(input.partition, performance.now());
        return result;
      },
      hooks: {
        afterCommit: ({ partition }) => {
          commitMs += performance.now() - (handedBack.get(partition) ?? performance.now());
        },
      },
      mode: config.kafka.deliveryMode,
      maxSendBytes: config.kafka.maxSendBytes,
      // lost or rewound committed offsets fail closed: checked against the positions recorded in
      // PostgreSQL after each commit. Not in the unsafe modes: there a zombie rewinds offsets as a
      // matter of course, and the negative controls are there to show the duplicates that follow.
      progress: config.kafka.deliveryMode === 'exactly-once' ? progress : undefined,
      logger,
      maxDurationMs: config.evaluate.maxDurationMs,
      maxIdleMs: config.evaluate.maxIdleMs,
      maxRecords: config.evaluate.maxRecords,
      sessionTimeoutMs: config.evaluate.sessionTimeoutMs,
      // Request records are ~60 bytes: 256 KiB per partition is thousands of them, at a quarter of the
      // default's memory.
      maxBytesPerPartition: 256 * 1024,
      // bounds one batch's transaction and outcome write (its documents are held within the handler's
      // own byte budget, lib/jobs/text-budget.ts). 64, not 200: a batch's outcomes are held until its
      // write, and its results go out as one produce request that kafkajs copies at each level of its
      // encoding; 64 took ~20–30 MB off each invocation's peak RSS in bench:pipeline at the same rate
      maxBatchRecords: 64,
      // the engine's in-memory retries outlast the database-counted attempts, so the job is marked
      // failed (with its reason) before the engine would DLQ the record on its own
      maxAttempts: config.evaluate.maxAttempts + 1,
      dependencyOutageBudgetMs: config.evaluate.outageBudgetMs,
      signal: controller.signal,
      // a chunk still in hand at half the stop's deadline (its jobs waiting on a claim a killed process
      // holds, say) is abandoned uncommitted: its records go to the next owner
      stopGraceMs: config.shutdownTimeoutMs / 2,
    });
    await progress.flush();
    invocationFinished(logger, {
      function: 'evaluate',
      n: invocation,
      started,
      stopReason: report.stopReason,
      idle: report.records === 0 && report.dependencyWaits === 0 && swept === 0,
      details: {
        ...report,
        swept,
        jobs: handler.stats,
        commitMs: Math.round(commitMs),
        provider: provider.name,
      },
    });
    return report.stopReason;
  };
  exitCode = await runInvocations({
    loop: values.loop,
    pauseMs: config.evaluate.loopPauseMs,
    signal: controller.signal,
    invoke,
    // a dependency away longer than a session's retries (a broker outage) throws out of the invocation
    onFailure: (err, n) =>
      logger.error({ err, invocation: n }, 'invocation failed; the next one starts after the pause'),
  });
} catch (err) {
  logger.error({ err }, 'invocation failed');
  exitCode = 1;
} finally {
  stop.step('recording the committed positions');
  await progress.flush(); // the committed positions still being recorded
  stop.step('the database pool');
  await Promise.all([closeDatabase(db).catch(() => {}), closeDatabase(maintenance).catch(() => {})]);
  // flushes spans and metrics: a job platform's container ends right after this
  stop.step('telemetry export');
  await telemetry.shutdown().catch(() => {});
}
stop.disarm();
process.exit(exitCode);
