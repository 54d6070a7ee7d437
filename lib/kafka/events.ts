// The engine's structured log events. Every engine log line that marks a step of the protocol carries
// `event: <one of these>`, so tools (the verifier, log queries, alerts) count events by name instead of
// matching message text, and a reworded message breaks nothing.
export const ENGINE_EVENTS = {
  /** the member joined the group (every rebalance); fields: generation, partitions */
  joined: 'engine.joined',
  /** fence-then-read done for a partition; fields: partition, committed */
  established: 'engine.established',
  /** fence or offset read failed for a reason other than fencing; retried */
  establishFailed: 'engine.establish-failed',
  /** a batch of records is handed to the handler; fields: partition, records, from */
  batchStarted: 'engine.batch-started',
  /** the handler threw on a chunk; fields: partition, offset, attempt */
  handlerFailed: 'engine.handler-failed',
  /** a partition transaction committed; fields: partition, next */
  committed: 'engine.committed',
  /** a partition transaction failed and was abandoned; the partition is re-established */
  aborted: 'engine.aborted',
  /** a request of a transaction was refused for its size; fields: partition, from, records, bytes, action */
  tooLarge: 'engine.too-large',
  /** a transaction failed as fenced, but the group still has the partition here: it outlived its timeout */
  transactionExpired: 'engine.transaction-expired',
  /** a rebalance landed during a batch: nothing of it is committed */
  partitionLost: 'engine.partition-lost',
  /** another instance owns the partition now; this session stops touching it */
  fenced: 'engine.fenced',
  /**
   * a partition this session will not process: its committed offset is gone or behind the position
   * the application recorded as committed (progress.ts); paused until established again. Fields:
   * reason, group, topic, partition, committed, recorded, fix
   */
  partitionRefused: 'engine.partition-refused',
  /** a dependency (database, …) is unavailable: nothing committed, the session backs off */
  dependencyUnavailable: 'engine.dependency-unavailable',
  /** records went to the DLQ in a committed transaction; fields: partition, offsets */
  deadLettered: 'engine.dead-lettered',
  /** a delivery mode other than exactly-once is on (verifier negative controls) */
  unsafeMode: 'engine.unsafe-mode',
  /** leaving the group and closing the producers outlasted the bound (shutdown.ts); fields: pending */
  shutdownTimedOut: 'engine.shutdown-timed-out',
  /**
   * the shutdown's bound passed and the main thread did not act on it (it never yielded to its timers):
   * the watchdog thread kills the process (shutdown.ts); written by that thread, fields: timeoutMs
   */
  shutdownWatchdog: 'engine.shutdown-watchdog',
  /** the session ended; fields: report */
  finished: 'engine.finished',
} as const;

export type EngineEvent = (typeof ENGINE_EVENTS)[keyof typeof ENGINE_EVENTS];
