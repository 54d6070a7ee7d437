// The evaluator's progress per input partition, as PostgreSQL records it:
//   - committed_offsets: the positions its Kafka transactions committed (written after each commit,
//     only ever raised), which the engine compares with the group's committed offset after each fence
//     (lib/kafka/progress.ts);
//   - results tagged with their source record (source_partition, source_offset), which
//     `npm run offsets:restore` reads to tell committed outcomes from an uncommitted tail.
// Result tags carry no topic: one database serves one jobs topic.
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Database } from './database.ts';
import { committedOffsets, results } from './schema.ts';

/** The highest position recorded as committed for a partition of `topic`. */
export async function recordedOffset(
  db: Database,
  topic: string,
  partition: number,
): Promise<bigint | undefined> {
  const [row] = await db
    .select({ next: committedOffsets.nextOffset })
    .from(committedOffsets)
    .where(and(eq(committedOffsets.topic, topic), eq(committedOffsets.partition, partition)));
  return row?.next;
}

/** Every position recorded for `topic`, by partition. */
export async function recordedOffsets(db: Database, topic: string): Promise<Map<number, bigint>> {
  const rows = await db
    .select({ partition: committedOffsets.partition, next: committedOffsets.nextOffset })
    .from(committedOffsets)
    .where(eq(committedOffsets.topic, topic));
  return new Map(rows.map((r) => [r.partition, r.next]));
}

/**
 * Records a committed position. `raise` (the evaluator) never lowers it: writes of two owners may land
 * out of order. Otherwise (offsets:restore) it is set as given.
 */
export async function recordOffset(
  db: Database,
  topic: string,
  partition: number,
  next: bigint,
  mode: 'raise' | 'set',
): Promise<void> {
  const value =
    mode === 'raise'
      ? sql`greatest(${committedOffsets.nextOffset}, excluded.next_offset)`
      : sql`excluded.next_offset`;
  await db
    .insert(committedOffsets)
    .values({ topic, partition, nextOffset: next })
    .onConflictDoUpdate({
      target: [committedOffsets.topic, committedOffsets.partition],
      set: { nextOffset: value, updatedAt: sql`now()` },
    });
}

export interface TaggedOutcome {
  jobId: string;
  sourceOffset: bigint;
  createdAt: Date;
}

/** The partition's latest stored outcomes, highest source offset first (index results_source_idx). */
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
