// Retention (RETENTION_DAYS): uploads, jobs and results older than the limit are erased like an
// erasure request, in batches, and each erased job's key gets a tombstone (null value) on the results
// topic so compaction drops its result there too.
//
// Tombstones are at-least-once. Each erasure's row says when its tombstone is due (erased_jobs.
// tombstone_due_at, lib/db/erasure.ts), and a publish is marked there once its Kafka transaction
// committed; the sweep sends only the tombstones due:
// - a minute after the erasure, if no publish is marked by then (it failed, or its process died before
//   the mark);
// - an hour after the erasure, if the last one marked began before that: a result the evaluator stored
//   before the erasure may still be in a Kafka transaction that commits after the tombstone, and
//   compaction keeps a key's last record. By then every such transaction has committed or been aborted.
// A tombstone sent twice (a crash between the commit and the mark, two sweeps at once) is harmless:
// the key's last record is a tombstone either way, and notify skips tombstones.
import type { Database } from '../db/database.ts';
import { eraseExpired, markTombstones, tombstonesDue } from '../db/erasure.ts';
import { deleteOldCounters } from '../db/rate-limits.ts';
import type { OutputRecord } from '../kafka/types.ts';
import type { Logger } from '../telemetry/logger.ts';

/** tombstones per Kafka transaction (the request publisher's most) */
const TOMBSTONE_BATCH = 500;
/** at most this many owed tombstones per sweep, so an invocation gets to its own work; the rest next time */
const TOMBSTONES_PER_SWEEP = 5_000;

export function tombstone(resultsTopic: string, jobId: string): OutputRecord {
  return { topic: resultsTopic, key: jobId, value: null };
}

/** Publishes the jobs' tombstones in transactions of TOMBSTONE_BATCH, marking each batch once committed. */
async function publishTombstones(
  o: { db: Database; publishAll: (records: OutputRecord[]) => Promise<void>; resultsTopic: string },
  jobIds: string[],
  now: () => Date,
): Promise<void> {
  for (let i = 0; i < jobIds.length; i += TOMBSTONE_BATCH) {
    const ids = jobIds.slice(i, i + TOMBSTONE_BATCH);
    const from = now();
    await o.publishAll(ids.map((id) => tombstone(o.resultsTopic, id)));
    await markTombstones(o.db, ids, from);
  }
}

export async function sweepRetention(o: {
  db: Database;
  /** all in one transaction (RequestPublisher.publishAll) */
  publishAll: (records: OutputRecord[]) => Promise<void>;
  resultsTopic: string;
  days: number;
  batch?: number;
  logger?: Logger;
  now?: Date;
}): Promise<{ jobs: number; uploads: number; tombstones: number }> {
  const clock = () => o.now ?? new Date();
  let jobs = 0;
  let uploads = 0;
  let tombstones = 0;
  if (o.days > 0) {
    const cutoff = new Date(clock().getTime() - o.days * 86_400_000);
    for (;;) {
      const r = await eraseExpired(o.db, cutoff, o.batch ?? 500);
      jobs += r.jobIds.length;
      uploads += r.uploads;
      if (r.jobIds.length === 0 && r.uploads === 0) break;
      // sent at once; if this fails, the rows say they are owed and a later sweep sends them
      await publishTombstones(o, r.jobIds, clock);
      tombstones += r.jobIds.length;
    }
  }
  while (tombstones < TOMBSTONES_PER_SWEEP) {
    const due = await tombstonesDue(
      o.db,
      clock(),
      Math.min(TOMBSTONE_BATCH, TOMBSTONES_PER_SWEEP - tombstones),
    );
    if (due.length === 0) break;
    await publishTombstones(o, due, clock);
    tombstones += due.length;
  }
  await deleteOldCounters(o.db);
  if (jobs || uploads) o.logger?.info({ jobs, uploads, days: o.days }, 'retention erased expired data');
  return { jobs, uploads, tombstones };
}
