// A kafkajs client whose logs go through our logger, not kafkajs' console logger.
import { Kafka, type KafkaConfig, logLevel as KafkaLogLevel, type logCreator } from 'kafkajs';
import type { Logger } from '../telemetry/logger.ts';
import { installCoordinatorReuse } from './coordinators.ts';
import { levelFor } from './log-levels.ts';
import { installReadCommittedFix } from './read-committed.ts';
import { installStoppedFetchFix } from './stopped-fetch.ts';

/**
 * Retries for transactional producers. Right after a commit the coordinator is still writing the
 * transaction markers and answers the next transaction's first request with CONCURRENT_TRANSACTIONS;
 * kafkajs' default first back-off (300 ms) turns every back-to-back transaction into a 300 ms stall.
 * The Java client retries these within milliseconds; so do we.
 */
export const FAST_RETRY = { retries: 12, initialRetryTime: 5, maxRetryTime: 500, factor: 0.2, multiplier: 2 };

let warningFilterInstalled = false;
/**
 * kafkajs 2.2.4 passes negative delays to setTimeout on Node ≥ 24 (its request-queue scheduling), which
 * prints a TimeoutNegativeWarning per client; Node then uses 1 ms, which is what kafkajs meant. Keep every
 * other warning.
 */
function filterKafkajsTimeoutWarning(): void {
  if (warningFilterInstalled) return;
  warningFilterInstalled = true;
  const listeners = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'TimeoutNegativeWarning') return;
    if (listeners.length === 0) process.stderr.write(`${warning.name}: ${warning.message}\n`);
    for (const l of listeners) l.call(process, warning);
  });
}

export function createKafka(options: {
  brokers: string[];
  clientId: string;
  logger?: Logger;
  config?: Partial<KafkaConfig>;
}): Kafka {
  filterKafkajsTimeoutWarning();
  // kafkajs warns at every producer's creation that its default partitioner changed in 2.0 (to the Java
  // client's murmur2, the one we rely on: keys land where other clients put them); once is not news
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  // every consumer of the process reads read_committed correctly (read-committed.ts)
  installReadCommittedFix();
  // and a stopped consumer stops fetching, so disconnect() cannot spin for ever (stopped-fetch.ts)
  installStoppedFetchFix();
  // and a coordinator is asked for once, not before every request to it (coordinators.ts)
  installCoordinatorReuse();
  const logger = options.logger;
  const creator: logCreator = () => (entry) => {
    if (!logger) return;
    const { message, ...extra } = entry.log;
    logger[levelFor(entry)]({ kafkajs: extra }, String(message));
  };
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logger ? KafkaLogLevel.WARN : KafkaLogLevel.NOTHING,
    logCreator: creator,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
    ...options.config,
  });
}
