// The engine's vocabulary. Nothing here knows about CVs or databases: a handler gets one partition's
// records and returns output records and DLQ decisions.
import type { IHeaders } from 'kafkajs';

/** exactly-once, or one of the verifier's negative controls */
export const deliveryModes = ['exactly-once', 'at-least-once', 'read-then-fence'] as const;
export type DeliveryMode = (typeof deliveryModes)[number];

export interface InputRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  timestamp: string;
}

export interface OutputRecord {
  topic: string;
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string | Buffer>;
}

/** The handler's verdict that a record can never be processed: it goes to the DLQ with this reason. */
export interface DlqDecision {
  offset: string;
  code: string;
  message: string;
  attempts?: number;
}

export interface HandlerResult {
  outputs: OutputRecord[];
  dlq?: DlqDecision[];
}

export interface PartitionBatch {
  topic: string;
  partition: number;
  records: InputRecord[];
  /** 1 on the first try of these records in this session, then 2, 3, … */
  attempt: number;
  /** aborted when a rebalance means this batch will not be committed: stop paying for work on it */
  signal?: AbortSignal;
}

export type BatchHandler = (batch: PartitionBatch) => Promise<HandlerResult>;

export interface SessionReport {
  records: number;
  outputs: number;
  transactions: number;
  commits: number;
  aborts: number;
  fenced: number;
  dlq: number;
  handlerErrors: number;
  /** back-offs because a dependency was unavailable (nothing committed, records tried again) */
  dependencyWaits: number;
  rebalances: number;
  /** partitions refused: committed offset gone or behind the recorded committed position (progress.ts) */
  refused: number;
  durationMs: number;
  /** ms from session start to its first committed transaction (cold start), if any */
  firstCommitMs: number | null;
  stopReason: StopReason;
  mode: DeliveryMode;
  /** leaving the group outlasted its bound and the session ended without it (shutdown.ts) */
  shutdownTimedOut: boolean;
}

export type StopReason =
  | 'caught-up'
  | 'max-duration'
  | 'max-records'
  | 'signal'
  | 'stopped'
  | 'error'
  /** a dependency outage outlasted its budget: the invocation should end non-zero and run again */
  | 'dependency-unavailable';

/** Test seams at the protocol's critical points (crash, zombie and race tests). */
export interface SessionHooks {
  /** after partition p's committed offset was read (step 1 of session.ts) */
  afterOffsetRead?(info: { partition: number; offset: string }): Promise<void> | void;
  /** after outputs and offsets were sent in p's transaction, before it commits */
  beforeCommit?(info: { partition: number; nextOffset: string; outputs: number }): Promise<void> | void;
  /** after p's transaction failed (and was abandoned); fenced = another instance owns p now */
  afterTransactionError?(info: { partition: number; fenced: boolean; error: unknown }): Promise<void> | void;
  /** after p's transaction committed */
  afterCommit?(info: { partition: number; nextOffset: string }): Promise<void> | void;
}
