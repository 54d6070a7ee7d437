// The notify function: one invocation starts the delivery pump (retries whose time came, redeliveries
// by hand, new deliveries: all sent as they come due, beside the session), drains its share of
// evaluate-results within a budget, turning each result into signed deliveries, then lets the pump
// send what is still due within a budget and exits with a report (exit 0; non-zero tells a job
// platform to retry). `--loop` runs invocations back to back with a pause.
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../../lib/config.ts';
import { closeDatabase, createDatabase } from '../../lib/db/database.ts';
import { invocationFinished, runInvocations } from '../../lib/jobs/invocations.ts';
import { createNotifyHandler } from '../../lib/jobs/notify-handler.ts';
import { createKafka } from '../../lib/kafka/client.ts';
import { runSession } from '../../lib/kafka/session.ts';
import { ensureTopics } from '../../lib/kafka/topics.ts';
import { RESULTS_TOPIC_SETTINGS } from '../../lib/records/result-event.ts';
import { createLogger } from '../../lib/telemetry/logger.ts';
import { startTelemetry } from '../../lib/telemetry/otel.ts';
import { stopOnSignals } from '../../lib/util/stop-deadline.ts';
import type { DispatchOptions } from '../../lib/webhooks/dispatcher.ts';
import { startDeliveryPump } from '../../lib/webhooks/pump.ts';

const { values } = parseArgs({ options: { loop: { type: 'boolean', default: false } } });
const config = loadConfigOrExit();
const telemetry = await startTelemetry({ serviceName: `${config.appName}-notify` });
const logger = createLogger({ level: config.logLevel, format: config.logFormat, name: 'notify' });
const db = createDatabase(config.database.url, {
  poolSize: config.database.poolSize,
  queryTimeoutMs: config.database.queryTimeoutMs,
});
const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `${config.appName}-notify`, logger });
const t = config.kafka.topics;
if (config.webhooks.allowPrivate) {
  logger.warn(
    'WEBHOOKS_ALLOW_PRIVATE=true: webhooks may reach loopback and private addresses (local use only)',
  );
}

const controller = new AbortController();
// The stop has one deadline from the signal (lib/util/stop-deadline.ts); each step is named for its log.
const stop = stopOnSignals({
  timeoutMs: config.shutdownTimeoutMs,
  log: logger,
  message: 'stopping: finishing the attempts in hand, then leaving the group',
  stop: () => controller.abort(),
});
stop.step('the invocation in hand (its webhook attempts, then leaving the group)');

const dispatch: DispatchOptions = {
  db,
  retrySchedule: config.webhooks.retrySchedule,
  timeoutMs: config.webhooks.timeoutMs,
  allowPrivate: config.webhooks.allowPrivate,
  concurrency: config.notify.concurrency,
  endpointConcurrency: config.notify.endpointConcurrency,
  logger,
};

let exitCode = 0;
try {
  await ensureTopics(kafka, [t.results, config.notify.dlqTopic], {
    partitions: config.kafka.partitions,
    replicationFactor: config.kafka.replicationFactor,
    settings: { [t.results]: RESULTS_TOPIC_SETTINGS },
  });
  const invoke = async (invocation: number) => {
    const started = Date.now();
    // on a stop, attempts still waiting on an endpoint are given up well inside the stop's deadline
    const pump = startDeliveryPump(dispatch, {
      signal: controller.signal,
      interruptAfterMs: Math.min(2_000, config.shutdownTimeoutMs / 4),
    });
    const handler = createNotifyHandler({ dispatch, pump, publicBaseUrl: config.webhooks.publicBaseUrl });
    let report: Awaited<ReturnType<typeof runSession>>;
    try {
      report = await runSession({
        kafka,
        app: config.appName,
        groupId: config.notify.group,
        topic: t.results,
        dlqTopic: config.notify.dlqTopic,
        handler,
        mode: config.kafka.deliveryMode,
        maxSendBytes: config.kafka.maxSendBytes,
        logger,
        maxDurationMs: config.notify.maxDurationMs,
        maxIdleMs: config.notify.maxIdleMs,
        sessionTimeoutMs: config.notify.sessionTimeoutMs,
        maxBytesPerPartition: 256 * 1024,
        // bounds one batch's deliveries created in one statement (the batch sends none itself)
        maxBatchRecords: 200,
        dependencyOutageBudgetMs: config.notify.outageBudgetMs,
        signal: controller.signal,
        // a chunk still in hand at half the stop's deadline (the database slow to answer, say) is
        // abandoned uncommitted: its records go to the next owner
        stopGraceMs: config.shutdownTimeoutMs / 2,
      });
    } catch (err) {
      // the attempts in flight finish (and are recorded) before the invocation is reported failed
      await pump.drain(0);
      throw err;
    }
    // what is due now is still sent; later retries are the next invocation's
    const sent = await pump.drain(config.notify.maxDurationMs / 4);
    invocationFinished(logger, {
      function: 'notify',
      n: invocation,
      started,
      stopReason: report.stopReason,
      idle:
        report.records === 0 &&
        report.dependencyWaits === 0 &&
        sent.delivered + sent.retried + sent.failed + sent.gone === 0,
      details: { ...report, results: handler.stats, deliveries: sent },
    });
    return report.stopReason;
  };
  exitCode = await runInvocations({
    loop: values.loop,
    pauseMs: config.notify.loopPauseMs,
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
  stop.step('the database pool');
  await closeDatabase(db).catch(() => {});
  stop.step('telemetry export');
  await telemetry.shutdown().catch(() => {});
}
stop.disarm();
process.exit(exitCode);
