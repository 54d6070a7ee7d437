// The evaluator's progress per input partition, as PostgreSQL records it: every stored outcome is tagged
// with the request record it came from (source_partition, source_offset). The engine asks this before it
// processes a partition (lib/kafka/progress.ts), and the offsets-restore command computes offsets from it.
// The tags carry no topic: one database serves one jobs topic. Both queries walk the
// results_source_idx index (migration 0010), not the table.
import { desc, eq, sql } from 'drizzle-orm';
import type { Database } from './database.ts';
import { results } from './schema.ts';

export interface StoredProgress {
  /** the highest source offset of an outcome stored for the partition */
  lastOffset: bigint;
  /** outcomes stored for records at or after `from`, counted up to `limit` */
  storedFrom: number;
}

export async function storedProgress(
  db: Database,
  partition: number,
  from: bigint,
  limit: number,
): Promise<StoredProgress | undefined> {
  const [row] = await db.execute<{ last: bigint | null; stored_from: number }>(sql`
    select (select max(source_offset) from ${results} where source_partition = ${partition}) as last,
      (select count(*)::int from (select 1 from ${results}
         where source_partition = ${partition} and source_offset >= ${from} limit ${limit}) s) as stored_from`);
  if (row?.last === null || row?.last === undefined) return undefined;
  return { lastOffset: BigInt(row.last), storedFrom: row.stored_from };
}

export interface TaggedOutcome {
  jobId: string;
  sourceOffset: bigint;
  createdAt: Date;
}

/** The partition's latest stored outcomes, highest source offset first. */
export async function latestOutcomes(
  db: Database,
  partition: number,
  limit: number,
): Promise<TaggedOutcome[]> {
  return db
    .select({ jobId: results.jobId, sourceOffset: results.sourceOffset, createdAt: results.createdAt })
    .from(results)
    .where(eq(results.sourcePartition, partition))
    .orderBy(desc(results.sourceOffset))
    .limit(limit);
}
