// lib/kafka — the exactly-once engine. Knows nothing about CVs or databases.
export { createKafka } from './client.ts';
export { isFencedError, RecordError } from './errors.ts';
export { RequestPublisher, type RequestPublisherOptions } from './request-publisher.ts';
export { ConsumeTransformProduceSession, DLQ_HEADERS, runSession, type SessionOptions } from './session.ts';
export { ensureTopics } from './topics.ts';
export { partitionTransactionalId, requestTransactionalId } from './transactional-id.ts';
export type * from './types.ts';
