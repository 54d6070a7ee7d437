// Retention (RETENTION_DAYS): uploads, jobs and results older than the limit are erased like an
// erasure request, in batches, and each erased job's key gets a tombstone (null value) on the results
// topic so compaction drops its result there too. Tombstones of jobs erased in the last hour are sent
// again: a result committed to Kafka in the moment of an erasure could otherwise outlive it.
import type { Database } from '../db/database.ts';
import { eraseExpired, recentlyErased } from '../db/erasure.ts';
import { deleteOldCounters } from '../db/rate-limits.ts';
import type { OutputRecord } from '../kafka/types.ts';
import type { Logger } from '../telemetry/logger.ts';

export function tombstone(resultsTopic: string, jobId: string): OutputRecord {
  return { topic: resultsTopic, key: jobId, value: null };
}

export async function sweepRetention(o: {
  db: Database;
  publish: (record: OutputRecord) => Promise<void>;
  resultsTopic: string;
  days: number;
  batch?: number;
  logger?: Logger;
  now?: Date;
}): Promise<{ jobs: number; uploads: number; tombstones: number }> {
  const now = o.now ?? new Date();
  let jobs = 0;
  let uploads = 0;
  let tombstones = 0;
  if (o.days > 0) {
    const cutoff = new Date(now.getTime() - o.days * 86_400_000);
    for (;;) {
      const r = await eraseExpired(o.db, cutoff, o.batch ?? 500);
      jobs += r.jobIds.length;
      uploads += r.uploads;
      if (r.jobIds.length === 0 && r.uploads === 0) break;
    }
  }
  const recent = await recentlyErased(o.db, new Date(now.getTime() - 3600_000), 10_000);
  for (const id of recent) {
    await o.publish(tombstone(o.resultsTopic, id));
    tombstones += 1;
  }
  await deleteOldCounters(o.db);
  if (jobs || uploads) o.logger?.info({ jobs, uploads, days: o.days }, 'retention erased expired data');
  return { jobs, uploads, tombstones };
}
