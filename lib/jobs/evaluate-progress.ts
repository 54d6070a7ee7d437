// The evaluator's progress witness for the engine (lib/kafka/progress.ts): every position a transaction
// committed is recorded in PostgreSQL (committed_offsets), and after each fence the engine compares the
// group's committed offset with it. A partition whose offset vanished or was moved back is refused
// instead of replayed: the handler's replay rule would emit every stored outcome again.
import type { Database } from '../db/database.ts';
import { recordedOffset, recordOffset } from '../db/progress.ts';
import type { ProgressWitness } from '../kafka/progress.ts';
import type { Logger } from '../telemetry/logger.ts';
import { serializeError } from '../telemetry/serialize-error.ts';
import { asDependencyError } from './database-outage.ts';

export const RESTORE_OFFSETS_COMMAND = 'npm run offsets:restore';

export function evaluateProgress(
  db: Database,
  logger?: Logger,
): ProgressWitness & { flush(timeoutMs?: number): Promise<void> } {
  // One write in flight per partition, carrying the latest position: a commit never waits for it, and a
  // burst of commits costs one write. A write that fails leaves the record behind, which is safe.
  const latest = new Map<string, { topic: string; partition: number; next: bigint }>();
  const writing = new Map<string, Promise<void>>();
  const drain = async (key: string) => {
    for (let p = latest.get(key); p; p = latest.get(key)) {
      latest.delete(key);
      await recordOffset(db, p.topic, p.partition, p.next, 'raise').catch((err: unknown) =>
        logger?.warn(
          { err: serializeError(err), partition: p!.partition },
          'could not record a committed offset',
        ),
      );
    }
    writing.delete(key);
  };
  return {
    // a database that is away while a partition is established: the engine's outage, not a failure
    recorded: ({ topic, partition }) =>
      recordedOffset(db, topic, partition).catch((err: unknown) => {
        throw asDependencyError(err);
      }),
    committed(position) {
      const key = `${position.topic}/${position.partition}`;
      latest.set(key, position);
      if (!writing.has(key)) writing.set(key, drain(key));
    },
    restoreCommand: RESTORE_OFFSETS_COMMAND,
    /** waits for the writes in flight (before the database is closed), at most `timeoutMs`: a write
     * given up only leaves the record behind */
    async flush(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (writing.size > 0 && Date.now() < deadline) {
        const wait = new Promise((r) => setTimeout(r, Math.max(1, deadline - Date.now())).unref());
        await Promise.race([Promise.all(writing.values()), wait]);
      }
    },
  };
}
