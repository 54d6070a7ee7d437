// The submit function: a Node HTTP server around the Hono app. Thin: config, wiring, start, stop.
// The app is also exported as a fetch handler for other runtimes.
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { createApp } from '../../lib/api/app.ts';
import { answerClientErrors } from '../../lib/api/client-errors.ts';
import { loadConfigOrExit } from '../../lib/config.ts';
import { queueStatsReader } from '../../lib/console/queue-stats.ts';
import { oldestUnfinishedJobAgeSeconds } from '../../lib/db/backlog.ts';
import { closeDatabase, createDatabase } from '../../lib/db/database.ts';
import { ExtractionSandbox } from '../../lib/extraction/sandbox.ts';
import { createKafka } from '../../lib/kafka/client.ts';
import { consumerLag } from '../../lib/kafka/lag.ts';
import { RequestPublisher } from '../../lib/kafka/request-publisher.ts';
import { ensureTopics } from '../../lib/kafka/topics.ts';
import { UploadMemory } from '../../lib/limits/upload-memory.ts';
import { RESULTS_TOPIC_SETTINGS } from '../../lib/records/result-event.ts';
import { createLogger } from '../../lib/telemetry/logger.ts';
import { meter } from '../../lib/telemetry/metrics.ts';
import { startTelemetry } from '../../lib/telemetry/otel.ts';
import { stopOnSignals } from '../../lib/util/stop-deadline.ts';

const config = loadConfigOrExit();
const telemetry = await startTelemetry({ serviceName: `${config.appName}-submit` });
const logger = createLogger({ level: config.logLevel, format: config.logFormat, name: 'submit' });
const db = createDatabase(config.database.url, {
  poolSize: config.database.poolSize,
  queryTimeoutMs: config.database.queryTimeoutMs,
});
const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `${config.appName}-submit`, logger });
const t = config.kafka.topics;
await ensureTopics(kafka, [t.jobs, t.results, t.dlq], {
  partitions: config.kafka.partitions,
  replicationFactor: config.kafka.replicationFactor,
  settings: { [t.results]: RESULTS_TOPIC_SETTINGS },
}).catch((err) => logger.warn({ err }, 'could not ensure topics; continuing (the broker may be down)'));

const publisher = new RequestPublisher({
  kafka,
  app: config.appName,
  instanceId: config.instanceId,
  slots: config.submit.producerSlots,
  logger,
  // at-least-once is the verifier's negative control and the benchmark's baseline: no transactions
  transactional: config.kafka.deliveryMode !== 'at-least-once',
});
if (config.kafka.deliveryMode !== 'exactly-once') {
  logger.warn(
    { mode: config.kafka.deliveryMode },
    'UNSAFE DELIVERY MODE: request records are published without transactions',
  );
}
const admin = kafka.admin();
let adminConnected = false;
const connectAdmin = async () => {
  if (!adminConnected) {
    await admin.connect();
    adminConnected = true;
  }
};
// The evaluate group's lag, read from the brokers: right even when no evaluator is running (between
// invocations), which is when a scheduler (KEDA, Cloud Scheduler) needs it.
meter()
  .createObservableGauge('kafka.consumer.lag', {
    description: 'end offset - committed offset of the evaluate group',
  })
  .addCallback(async (result) => {
    if (!telemetry.enabled) return;
    await connectAdmin();
    for (const p of await consumerLag(admin, config.kafka.evaluateGroup, t.jobs).catch(() => [])) {
      result.observe(p.lag, {
        topic: t.jobs,
        partition: String(p.partition),
        group: config.kafka.evaluateGroup,
      });
    }
  });
// The age of the oldest job accepted but not terminal (the JobsNotTerminal alert). One query per
// collection, at most once a minute whatever the export interval.
let backlog = { at: 0, age: 0 };
meter()
  .createObservableGauge('jobs.oldest_unfinished_age', {
    unit: 's',
    description: 'age of the oldest job that is neither completed nor failed',
  })
  .addCallback(async (result) => {
    if (!telemetry.enabled) return;
    if (Date.now() - backlog.at >= 60_000) {
      const age = await oldestUnfinishedJobAgeSeconds(db).catch(() => undefined);
      if (age !== undefined) backlog = { at: Date.now(), age };
    }
    if (backlog.at > 0) result.observe(backlog.age);
  });

// Uploads are parsed in worker threads (memory cap, deadline, bounded pool), never on this event loop.
const sandbox = new ExtractionSandbox(config.extraction);
sandbox.warm();

export const app = createApp({
  db,
  publish: (record) => publisher.publish(record),
  publishAll: (records) => publisher.publishAll(records),
  webhooks: { allowPrivate: config.webhooks.allowPrivate, secretOverlapMs: config.webhooks.secretOverlapMs },
  jobsTopic: t.jobs,
  resultsTopic: t.results,
  publishing: config.publish,
  uploadMaxBytes: config.submit.uploadMaxBytes,
  uploadMemory: new UploadMemory(config.submit.uploadBufferBytes),
  extractor: sandbox,
  limits: config.limits,
  // the evaluators read with the offline provider: a text it cannot screen is refused at once
  offlineScreening: config.llm.provider === 'offline',
  keyCache: { ttlMs: config.submit.apiKeyCacheTtlMs, negativeTtlMs: config.submit.apiKeyNegativeTtlMs },
  logger,
  queueStats: queueStatsReader({
    admin: async () => {
      await connectAdmin();
      return admin;
    },
    group: config.kafka.evaluateGroup,
    jobsTopic: t.jobs,
    dlqTopic: t.dlq,
  }),
  readiness: {
    database: () => db.$client`select 1`,
    broker: async () => {
      await connectAdmin();
      await admin.describeCluster();
    },
  },
});

// Requests whose client went away still run to completion; shutdown waits for them before closing the
// publisher and the pool.
let inFlight = 0;
const server = serve(
  {
    fetch: async (req, env) => {
      inFlight += 1;
      try {
        return await app.fetch(req, env);
      } finally {
        inFlight -= 1;
      }
    },
    port: config.submit.port,
    hostname: config.submit.host,
    // a body that has not arrived in time ends its request (408): its upload memory is given back
    serverOptions: {
      requestTimeout: config.submit.requestBodyTimeoutMs,
      headersTimeout: Math.min(60_000, config.submit.requestBodyTimeoutMs),
      connectionsCheckingInterval: 5_000,
    },
  },
  (info) =>
    logger.info(
      { port: info.port, host: config.submit.host, instance: config.instanceId },
      'submit listening',
    ),
);

answerClientErrors(server as Server);

// The stop has one deadline from the signal (lib/util/stop-deadline.ts); each step is named for its log.
const stop = stopOnSignals({
  timeoutMs: config.shutdownTimeoutMs,
  log: logger,
  message: 'shutting down: no new connections, finishing requests in flight',
  stop: () => void shutdown(),
});
async function shutdown() {
  stop.step('requests in flight');
  // close() stops accepting and resolves once every connection has ended. A keep-alive connection whose
  // request was in flight outlives its response and held the stop until the keep-alive timeout (or for
  // as long as a load balancer kept using it): each one is closed as soon as it has no request in hand.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const closeIdle = setInterval(() => (server as Server).closeIdleConnections(), 20);
  await closed;
  clearInterval(closeIdle);
  while (inFlight > 0) await new Promise((r) => setTimeout(r, 20));
  stop.step('the request publisher (transactions in flight)');
  await publisher.close();
  stop.step('the extraction sandbox');
  await sandbox.close();
  stop.step('the Kafka admin client');
  if (adminConnected) await admin.disconnect().catch(() => {});
  stop.step('the database pool');
  await closeDatabase(db);
  stop.step('telemetry export');
  await telemetry.shutdown().catch(() => {});
  stop.disarm();
  logger.info('stopped');
  process.exit(0);
}
