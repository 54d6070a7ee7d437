// Which processing attempts a batch counts in PostgreSQL (jobs.attempts, weighed against
// EVALUATE_MAX_ATTEMPTS). An attempt is spent by an evaluation: one that a database outage stopped before
// its provider call was claimed, or whose outcome was evaluated and only waits to be stored, has not spent
// another, so the retry of the same record counts none for it. Found from outside: a 40 s lock on the
// results table retried each batch until its outcomes could be stored, and every retry counted an attempt
// (jobs evaluated once stood at 3 of 3: one transient provider failure after that fails them for good).
// Remembered per invocation, bounded like the handler's other memories.
import type { Database } from '../db/database.ts';
import { startAttempts } from '../db/effects.ts';
import type { InputRecord } from '../kafka/types.ts';
import { BoundedMap } from '../util/bounded-memo.ts';

export interface AttemptLedger {
  /**
   * The attempt each job of the batch is on: counted now, or the one an earlier run of the same record
   * counted and never spent. `evaluated` names the jobs whose outcome for this record is only waiting to
   * be stored: they are not counted (and get no number).
   */
  start(
    partition: number,
    todo: { record: InputRecord; jobId: string }[],
    evaluated: (t: { record: InputRecord; jobId: string }) => boolean,
  ): Promise<Map<string, number>>;
  /** the job's attempt went to an evaluation (its claim answered), or was given back: forget it */
  spent(jobId: string): void;
}

export function attemptLedger(db: Database, max: number): AttemptLedger {
  /** job id → the record whose attempt was counted, and its number */
  const unspent = new BoundedMap<string, { source: string; attempt: number }>(max);
  return {
    async start(partition, todo, evaluated) {
      const attempts = new Map<string, number>();
      const toCount: { jobId: string; source: string }[] = [];
      for (const t of todo) {
        if (evaluated(t)) continue;
        const source = `${partition}:${t.record.offset}`;
        const carried = unspent.get(t.jobId);
        if (carried?.source === source) attempts.set(t.jobId, carried.attempt);
        else toCount.push({ jobId: t.jobId, source });
      }
      const counted = await startAttempts(
        db,
        toCount.map((c) => c.jobId),
      );
      for (const { jobId, source } of toCount) {
        const attempt = counted.get(jobId);
        if (attempt === undefined) continue;
        attempts.set(jobId, attempt);
        unspent.set(jobId, { source, attempt });
      }
      return attempts;
    },
    spent(jobId) {
      unspent.delete(jobId);
    },
  };
}
