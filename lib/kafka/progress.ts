// Lost committed offsets fail closed (step 1 of session.ts, after the fence).
//
// A handler that stores its effects tagged with their source record re-emits a stored effect when it
// meets that record again: "its transaction never committed". That rule is right only while the group's
// committed offset is where the last transaction left it. If the offset is gone (expired after
// offsets.retention, group deleted or renamed) or was moved back by hand, every stored effect between the
// new start and the real position would be emitted a second time. So, before a partition is processed,
// the application's own store is asked what it has done (the progress witness), and the partition is
// refused when the two disagree:
//   - no committed offset, yet stored effects for the partition: refused;
//   - a committed offset with more stored effects at or after it than one transaction can leave behind
//     (maxBatchRecords: effects are stored before their transaction, one batch at a time, and each batch
//     starts at the committed offset): refused.
// A refused partition is paused and nothing of it is processed; the next establish (a rebalance, the next
// invocation) asks again, so once an operator restored the offsets the partition resumes by itself.
import type { Admin, Consumer } from 'kafkajs';
import type { Logger } from '../telemetry/logger.ts';
import { telemetryMetrics } from '../telemetry/metrics.ts';
import { ENGINE_EVENTS } from './events.ts';
import { committedOffset, logStartOffset } from './offsets.ts';
import type { SessionHooks, SessionReport } from './types.ts';

/** What the application has stored for one input partition. */
export interface PartitionProgress {
  /** the highest input offset of the partition with a stored effect */
  lastOffset: bigint;
  /** how many input records at or after the offset asked about have stored effects (at most `limit`) */
  storedFrom: number;
}

/** The application's account of its progress, given to the session (SessionOptions.progress). */
export interface ProgressWitness {
  /**
   * Asked after the fence, before a partition is processed; undefined = nothing stored for it. A throw
   * counts as "could not establish": the partition is tried again, never processed unchecked.
   */
  stored(query: {
    topic: string;
    partition: number;
    /** where processing would start: the committed offset, or the log start when there is none */
    from: bigint;
    /** counting stored effects past this many is not needed */
    limit: number;
  }): Promise<PartitionProgress | undefined>;
  /** what an operator runs to put the offsets back, named in the refusal */
  restoreCommand: string;
}

export type RefusalReason = 'no-committed-offset' | 'committed-behind';

/** The rule above, on its own. */
export function refusal(
  committed: bigint | null,
  progress: PartitionProgress | undefined,
  maxBatchRecords: number,
): RefusalReason | undefined {
  if (!progress) return undefined;
  if (committed === null) return 'no-committed-offset';
  return progress.storedFrom > maxBatchRecords ? 'committed-behind' : undefined;
}

export class PartitionRefusedError extends Error {
  readonly reason: RefusalReason;
  readonly where: { groupId: string; topic: string; partition: number };
  readonly committed: bigint | null;
  readonly progress: PartitionProgress;
  /** the operator's command that puts the offsets back */
  readonly fix: string;

  constructor(
    reason: RefusalReason,
    where: { groupId: string; topic: string; partition: number },
    committed: bigint | null,
    progress: PartitionProgress,
    fix: string,
  ) {
    const { groupId, topic, partition } = where;
    const what =
      reason === 'no-committed-offset'
        ? `group ${groupId} has no committed offset for ${topic}/${partition}`
        : `the committed offset ${committed} of group ${groupId} for ${topic}/${partition} is behind`;
    super(
      `${what}, but the application stored effects up to offset ${progress.lastOffset} ` +
        `(${progress.storedFrom}${reason === 'committed-behind' ? '+' : ''} at or after the start): ` +
        'processing would emit them again. The partition is refused until the offsets are restored ' +
        `from the stored effects (${fix}, with the group empty); it then resumes on its own.`,
    );
    this.name = 'PartitionRefusedError';
    this.reason = reason;
    this.where = where;
    this.committed = committed;
    this.progress = progress;
    this.fix = fix;
  }
}

/** The offset to start a partition from (its committed offset, else the log start), checked. */
export async function startingOffset(
  admin: Admin,
  o: {
    groupId: string;
    topic: string;
    maxBatchRecords: number;
    progress?: ProgressWitness;
    hooks?: SessionHooks;
  },
  partition: number,
): Promise<bigint> {
  const { groupId, topic, maxBatchRecords } = o;
  const committed = await committedOffset(admin, groupId, topic, partition);
  const from = committed ?? (await logStartOffset(admin, topic, partition));
  await o.hooks?.afterOffsetRead?.({ partition, offset: from.toString() });
  if (!o.progress) return from;
  const progress = await o.progress.stored({ topic, partition, from, limit: maxBatchRecords + 1 });
  const reason = refusal(committed, progress, maxBatchRecords);
  if (!reason) return from;
  const fix = o.progress.restoreCommand;
  throw new PartitionRefusedError(reason, { groupId, topic, partition }, committed, progress!, fix);
}

/** Stops touching a refused partition until it is established again; says so once, loudly. */
export function refusePartition(
  state: { partition: number; markRefused(): void },
  err: PartitionRefusedError,
  consumer: Consumer,
  report: SessionReport,
  log: Logger | undefined,
): false {
  report.refused += 1;
  telemetryMetrics().partitionsRefused.add(1, { topic: err.where.topic });
  state.markRefused();
  consumer.pause([{ topic: err.where.topic, partitions: [state.partition] }]);
  log?.error(
    {
      event: ENGINE_EVENTS.partitionRefused,
      reason: err.reason,
      group: err.where.groupId,
      topic: err.where.topic,
      partition: state.partition,
      committed: err.committed?.toString() ?? null,
      storedUpTo: err.progress.lastOffset.toString(),
      storedFromStart: err.progress.storedFrom,
      fix: err.fix,
    },
    err.message,
  );
  return false;
}
