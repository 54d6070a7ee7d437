// What a session is told, and what it assumes when it is not told.
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../telemetry/logger.ts';
import { type ProgressWitness, withProgressHooks } from './progress.ts';
import type { BatchHandler, DeliveryMode, SessionHooks } from './types.ts';

export interface SessionOptions {
  kafka: Kafka;
  /** application name: the first part of every transactional id */
  app: string;
  groupId: string;
  topic: string;
  dlqTopic: string;
  handler: BatchHandler;
  /** exactly-once unless a verifier negative control asks otherwise (unsafe-delivery.ts) */
  mode?: DeliveryMode;
  logger?: Logger;
  /** stop after this long in total */
  maxDurationMs?: number;
  /** stop once no record arrived for this long after joining: caught up */
  maxIdleMs?: number;
  /** stop after this many input records were committed (0 = no limit) */
  maxRecords?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  rebalanceTimeoutMs?: number;
  /** a handler error on one record is retried this many times in all, then the record goes to the DLQ */
  maxAttempts?: number;
  /** back-off before retry n is retryBackoffMs × n */
  retryBackoffMs?: number;
  partitionsConsumedConcurrently?: number;
  /** most records handed to the handler (and committed) at once; a large fetch is split */
  maxBatchRecords?: number;
  maxBytesPerPartition?: number;
  transactionTimeoutMs?: number;
  /**
   * Most bytes (estimated) of outputs sent in one produce request; a batch's outputs go in several
   * requests within its one transaction. Lowered by itself when the broker refuses a request for its
   * size (transaction-size.ts).
   */
  maxSendBytes?: number;
  /**
   * How long a dependency outage (the handler throws DependencyUnavailableError) is waited out with
   * back-off before the session stops with stopReason 'dependency-unavailable'.
   */
  dependencyOutageBudgetMs?: number;
  /** most time leaving the group and closing the producers may take once the session stops (shutdown.ts) */
  shutdownTimeoutMs?: number;
  /** stops the session: the chunk in hand finishes and commits, or is abandoned after `stopGraceMs` */
  signal?: AbortSignal;
  /**
   * How long chunks in flight may still finish once `signal` stops the session; then their handlers' signal
   * is aborted and they are not committed (their records go to the next owner). A handler waiting on a
   * dependency (a provider claim a killed process holds) would otherwise outlast a platform's stop grace.
   * Unset: they are waited for, up to `shutdownTimeoutMs`.
   */
  stopGraceMs?: number;
  hooks?: SessionHooks;
  /**
   * The application's durable record of committed positions: told after each commit, asked after each
   * fence; a partition whose committed offset is gone or behind it is refused, not replayed (progress.ts).
   */
  progress?: ProgressWitness;
}

export const SESSION_DEFAULTS = {
  mode: 'exactly-once',
  maxDurationMs: 60_000,
  maxIdleMs: 3_000,
  maxRecords: 0,
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  rebalanceTimeoutMs: 30_000,
  maxAttempts: 3,
  retryBackoffMs: 200,
  partitionsConsumedConcurrently: 16,
  maxBatchRecords: 1000,
  maxBytesPerPartition: 1024 * 1024,
  transactionTimeoutMs: 30_000,
  // well under the broker's default message.max.bytes (1 MiB)
  maxSendBytes: 512 * 1024,
  dependencyOutageBudgetMs: 30_000,
  // the batch in hand may be waiting on a slow provider; a hang is cut after this, not before
  shutdownTimeoutMs: 120_000,
} as const satisfies Partial<SessionOptions>;

type Defaulted = keyof typeof SESSION_DEFAULTS;
export type ResolvedSessionOptions = Omit<SessionOptions, Defaulted> &
  Required<Pick<SessionOptions, Defaulted>>;

export function resolveSessionOptions(options: SessionOptions): ResolvedSessionOptions {
  const resolved: Record<string, unknown> = { ...SESSION_DEFAULTS };
  // An option given as undefined keeps its default.
  for (const [k, v] of Object.entries(options)) if (v !== undefined) resolved[k] = v;
  resolved.hooks = withProgressHooks(options.topic, options.hooks, options.progress);
  return resolved as unknown as ResolvedSessionOptions;
}

/** The session's consumer: read_committed, offsets never committed by kafkajs itself (session.ts). */
export function sessionConsumer(o: ResolvedSessionOptions): Consumer {
  return o.kafka.consumer({
    groupId: o.groupId,
    sessionTimeout: o.sessionTimeoutMs,
    heartbeatInterval: o.heartbeatIntervalMs,
    rebalanceTimeout: o.rebalanceTimeoutMs,
    maxBytesPerPartition: o.maxBytesPerPartition,
    maxWaitTimeInMs: 250,
    readUncommitted: false,
  });
}
