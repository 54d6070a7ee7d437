// "Publish under a lease, then mark published" — the one routine by which a job's request record
// reaches the jobs topic, used by the evaluate route and by the sweeper. The caller holds the job's
// publish lease (taken when the row was inserted, or by takePublishLease / takeUnpublishedJobs); the
// lease keeps a second publisher away while this one works, and it outlives the publish timeout, so
// a lease never expires under a publish still in progress. On failure the lease is released at once:
// a retry with the same key, or the next sweep, publishes the job later (no job is lost, G1).
import type { Database } from '../db/database.ts';
import { markPublished, releasePublishLease } from '../db/jobs.ts';
import { AppError, codes } from '../errors.ts';
import type { OutputRecord } from '../kafka/types.ts';
import { jobRequestRecord } from '../records/job-request.ts';
import { batched } from '../util/batched.ts';
import { withTimeout } from '../util/timeout.ts';

export interface PublishLeaseConfig {
  /** how long a publisher owns a job's publish; must exceed timeoutMs */
  leaseMs: number;
  /** how long one publish may take before it counts as failed */
  timeoutMs: number;
}

export interface LeasePublisherOptions extends PublishLeaseConfig {
  db: Database;
  publish: (record: OutputRecord) => Promise<void>;
  jobsTopic: string;
}

/** Publishing failed: the job stays accepted and unpublished, its lease released. */
export class PublishFailedError extends AppError {
  readonly jobId: string;
  constructor(jobId: string, cause: unknown) {
    super(codes.QUEUE_UNAVAILABLE, `the job queue is unavailable: ${String(cause)}`, { cause });
    this.jobId = jobId;
  }
}

export type LeasePublisher = (jobId: string) => Promise<void>;

export function createLeasePublisher(o: LeasePublisherOptions): LeasePublisher {
  // Many concurrent accepts mark their jobs in one statement: round trips, not CPU, cost a request.
  const markPublishedSoon = batched<string>((ids) => markPublished(o.db, ids));
  return async (jobId) => {
    try {
      await withTimeout(
        o.publish(jobRequestRecord(o.jobsTopic, jobId)),
        o.timeoutMs,
        () => new Error(`publish took longer than ${o.timeoutMs} ms`),
      );
    } catch (err) {
      await releasePublishLease(o.db, jobId).catch(() => {});
      throw new PublishFailedError(jobId, err);
    }
    // Published but not yet marked (a crash here): the sweeper publishes again, and the evaluator
    // absorbs the duplicate request record (a duplicate emits nothing, G2).
    await markPublishedSoon(jobId);
  };
}
