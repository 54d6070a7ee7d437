// npm run retention:sweep — erases uploads, jobs and results older than RETENTION_DAYS now (the
// evaluate function also does it at the start of each invocation) and sends their tombstones.
import { loadConfigOrExit } from '../lib/config.ts';
import { closeDatabase, createDatabase } from '../lib/db/database.ts';
import { sweepRetention } from '../lib/jobs/retention.ts';
import { createKafka } from '../lib/kafka/client.ts';
import { RequestPublisher } from '../lib/kafka/request-publisher.ts';
import { createLogger } from '../lib/telemetry/logger.ts';

const config = loadConfigOrExit();
const logger = createLogger({ level: config.logLevel, name: 'retention' });
const db = createDatabase(config.database.url, { poolSize: 1 });
const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `${config.appName}-retention`, logger });
const publisher = new RequestPublisher({
  kafka,
  app: config.appName,
  instanceId: `${config.instanceId}-retention`,
  slots: 1,
  logger,
});
try {
  const r = await sweepRetention({
    db,
    publishAll: (recs) => publisher.publishAll(recs),
    resultsTopic: config.kafka.topics.results,
    days: config.retention.days,
    logger,
  });
  process.stdout.write(`${JSON.stringify(r)}\n`);
} finally {
  await publisher.close();
  await closeDatabase(db);
}
