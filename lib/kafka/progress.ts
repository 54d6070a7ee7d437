// Lost committed offsets fail closed (step 1 of session.ts, after the fence).
//
// A handler that stores its effects tagged with their source record re-emits a stored effect when it
// meets that record again: "its transaction never committed". That rule is right only while the group's
// committed offset is where the last transaction left it. If the offset is gone (expired after
// offsets.retention, group deleted or renamed) or was moved back by hand, every stored effect between the
// new start and the real position would be emitted a second time.
//
// So the application keeps its own durable record of the positions the session committed (the progress
// witness: told after every committed transaction), and before a partition is processed the two are
// compared. The partition is refused when
//   - the group has no committed offset for it, yet a committed position was recorded: lost;
//   - the committed offset is below the recorded one: moved back.
// The record holds committed positions only, never "effects stored": a partition whose first
// transaction never committed (a rebalance or a crash during its first batch) has stored effects and no
// offset, and must replay them, not be refused. The record may lag (a write lost after a commit): it is
// a lower bound of the true position, so it never refuses wrongly; it can only miss a loss that
// happened before its first write.
// A refused partition is paused and nothing of it is processed; the next establish (a rebalance, the next
// invocation) asks again, so once an operator restored the offsets the partition resumes by itself.
import type { Admin, Consumer } from 'kafkajs';
import type { Logger } from '../telemetry/logger.ts';
import { telemetryMetrics } from '../telemetry/metrics.ts';
import { ENGINE_EVENTS } from './events.ts';
import { committedOffset, logStartOffset } from './offsets.ts';
import type { SessionHooks, SessionReport } from './types.ts';

/** The application's durable record of committed positions, given to the session (SessionOptions.progress). */
export interface ProgressWitness {
  /**
   * The highest position (next offset) recorded as committed for the partition; undefined: none. Asked
   * after the fence, before the partition is processed. A throw counts as "could not establish": the
   * partition is tried again, never processed unchecked.
   */
  recorded(query: { topic: string; partition: number }): Promise<bigint | undefined>;
  /**
   * Told after each committed transaction, before the next one of the partition starts. Must not throw
   * nor wait for the write: a lost write only makes the record lag.
   */
  committed(position: { topic: string; partition: number; next: bigint }): void;
  /** what an operator runs to put the offsets back, named in the refusal */
  restoreCommand: string;
}

export type RefusalReason = 'no-committed-offset' | 'committed-behind';

/** The rule above, on its own. */
export function refusal(committed: bigint | null, recorded: bigint | undefined): RefusalReason | undefined {
  if (recorded === undefined) return undefined;
  if (committed === null) return 'no-committed-offset';
  return committed < recorded ? 'committed-behind' : undefined;
}

export class PartitionRefusedError extends Error {
  readonly reason: RefusalReason;
  readonly where: { groupId: string; topic: string; partition: number };
  readonly committed: bigint | null;
  /** the position the witness recorded as committed */
  readonly recorded: bigint;
  /** the operator's command that puts the offsets back */
  readonly fix: string;

  constructor(
    reason: RefusalReason,
    where: { groupId: string; topic: string; partition: number },
    committed: bigint | null,
    recorded: bigint,
    fix: string,
  ) {
    const { groupId, topic, partition } = where;
    const what =
      reason === 'no-committed-offset'
        ? `group ${groupId} has no committed offset for ${topic}/${partition}`
        : `the committed offset ${committed} of group ${groupId} for ${topic}/${partition} is behind`;
    super(
      `${what}, but offset ${recorded} was recorded as committed: processing would emit stored effects ` +
        'again. The partition is refused until the offsets are restored from the stored effects ' +
        `(${fix}, with the group empty); it then resumes on its own.`,
    );
    this.name = 'PartitionRefusedError';
    this.reason = reason;
    this.where = where;
    this.committed = committed;
    this.recorded = recorded;
    this.fix = fix;
  }
}

/** The offset to start a partition from (its committed offset, else the log start), checked. */
export async function startingOffset(
  admin: Admin,
  o: { groupId: string; topic: string; progress?: ProgressWitness; hooks?: SessionHooks },
  partition: number,
): Promise<bigint> {
  const { groupId, topic } = o;
  const committed = await committedOffset(admin, groupId, topic, partition);
  const from = committed ?? (await logStartOffset(admin, topic, partition));
  await o.hooks?.afterOffsetRead?.({ partition, offset: from.toString() });
  if (!o.progress) return from;
  const recorded = await o.progress.recorded({ topic, partition });
  const reason = refusal(committed, recorded);
  if (!reason) return from;
  const fix = o.progress.restoreCommand;
  throw new PartitionRefusedError(reason, { groupId, topic, partition }, committed, recorded!, fix);
}

/** The session's hooks, with the witness told of every commit (after the caller's own hook). */
export function withProgressHooks(
  topic: string,
  hooks: SessionHooks | undefined,
  progress: ProgressWitness | undefined,
): SessionHooks | undefined {
  if (!progress) return hooks;
  return {
    ...hooks,
    afterCommit: async (info) => {
      progress.committed({ topic, partition: info.partition, next: BigInt(info.nextOffset) });
      await hooks?.afterCommit?.(info);
    },
  };
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
      recorded: err.recorded.toString(),
      fix: err.fix,
    },
    err.message,
  );
  return false;
}
