// The sweeper (DESIGN.md §5.2 step 4): jobs accepted (their row exists) but never published — the broker
// was down when submit answered 503, or submit died before publishing — are published again. The rare
// duplicate request record this can create is absorbed by the evaluator (a duplicate emits nothing).
import type { Database } from '../db/client.ts';
import { markPublished, releasePublishLease, takeUnpublishedJobs } from '../db/jobs.ts';
import type { OutputRecord } from '../kafka/types.ts';
import type { Logger } from '../telemetry/logger.ts';
import { jobRequestRecord } from './records.ts';

export async function sweepUnpublished(o: {
  db: Database;
  publish: (record: OutputRecord) => Promise<void>;
  jobsTopic: string;
  olderThanMs: number;
  limit?: number;
  logger?: Logger;
}): Promise<number> {
  const rows = [...(await takeUnpublishedJobs(o.db, o.olderThanMs, o.limit ?? 1000, 30_000))] as {
    id: string;
  }[];
  let published = 0;
  await Promise.all(
    rows.map(async ({ id }) => {
      try {
        await o.publish(jobRequestRecord(o.jobsTopic, id));
        await markPublished(o.db, [id]);
        published += 1;
      } catch (err) {
        o.logger?.warn({ job_id: id, err: String(err) }, 'sweeper could not publish; will try again');
        await releasePublishLease(o.db, id).catch(() => {});
      }
    }),
  );
  if (rows.length) o.logger?.info({ found: rows.length, published }, 'sweeper republished unpublished jobs');
  return published;
}
