// The sweeper: jobs accepted (their row exists) but never published — the broker was down when submit
// answered 503, or submit died before publishing — are published again through the same lease-publish
// routine the evaluate route uses. The rare duplicate request record this can create is absorbed by
// the evaluator (a duplicate emits nothing).
import type { Database } from '../db/database.ts';
import { takeUnpublishedJobs } from '../db/jobs.ts';
import type { OutputRecord } from '../kafka/types.ts';
import type { Logger } from '../telemetry/logger.ts';
import { createLeasePublisher, type PublishLeaseConfig } from './publish-lease.ts';

export async function sweepUnpublished(o: {
  db: Database;
  publish: (record: OutputRecord) => Promise<void>;
  jobsTopic: string;
  publishing: PublishLeaseConfig;
  olderThanMs: number;
  limit?: number;
  logger?: Logger;
}): Promise<number> {
  const rows = [
    ...(await takeUnpublishedJobs(o.db, o.olderThanMs, o.limit ?? 1000, o.publishing.leaseMs)),
  ] as { id: string }[];
  const publishLeased = createLeasePublisher({ ...o.publishing, ...o });
  let published = 0;
  await Promise.all(
    rows.map(async ({ id }) => {
      try {
        await publishLeased(id);
        published += 1;
      } catch (err) {
        o.logger?.warn({ job_id: id, err }, 'sweeper could not publish; will try again');
      }
    }),
  );
  if (rows.length) o.logger?.info({ found: rows.length, published }, 'sweeper republished unpublished jobs');
  return published;
}
