// The evaluator's effects in PostgreSQL (DESIGN.md §5.1 steps 3 and 5). Each terminal outcome is stored
// once per job (results.job_id is the primary key), tagged with the request record it came from, so a
// replay of the same record (its Kafka transaction never committed) is told from a duplicate record.
import { inArray, sql } from 'drizzle-orm';
import type { Database } from './client.ts';
import { jobs, results, uploads } from './schema.ts';
import { traced } from './trace.ts';

export type ResultRow = typeof results.$inferSelect;

export interface JobForEvaluation {
  id: string;
  status: string;
  attempts: number;
  cvText: string;
  projectText: string;
  jobDescription: string | null;
  studyCaseBrief: string | null;
  scoringRubric: string | null;
}

async function loadJobsUntraced(db: Database, ids: string[]): Promise<Map<string, JobForEvaluation>> {
  if (ids.length === 0) return new Map();
  const cv = sql`(select extracted_text from ${uploads} where ${uploads.id} = ${jobs.cvId})`;
  const project = sql`(select extracted_text from ${uploads} where ${uploads.id} = ${jobs.projectId})`;
  const rows = await db
    .select({
      id: jobs.id,
      status: jobs.status,
      attempts: jobs.attempts,
      cvText: sql<string>`${cv}`,
      projectText: sql<string>`${project}`,
      jobDescription: jobs.jobDescription,
      studyCaseBrief: jobs.studyCaseBrief,
      scoringRubric: jobs.scoringRubric,
    })
    .from(jobs)
    .where(inArray(jobs.id, ids));
  return new Map(rows.map((r) => [r.id, r]));
}

async function loadResultsUntraced(db: Database, ids: string[]): Promise<Map<string, ResultRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db.select().from(results).where(inArray(results.jobId, ids));
  return new Map(rows.map((r) => [r.jobId, r]));
}

/** Counts one more processing attempt (in the database: the process may die between attempts). */
async function startAttemptsUntraced(db: Database, ids: string[]): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .update(jobs)
    .set({
      attempts: sql`${jobs.attempts} + 1`,
      // guarded: a status never moves backwards
      status: sql`case when ${jobs.status} = 'queued' then 'processing' else ${jobs.status} end`,
      updatedAt: sql`now()`,
    })
    .where(inArray(jobs.id, ids))
    .returning({ id: jobs.id, attempts: jobs.attempts });
  return new Map(rows.map((r) => [r.id, r.attempts]));
}

export type NewOutcome = typeof results.$inferInsert;

/**
 * Stores outcomes in one transaction: insert-if-absent, read back the row that won, then move each job
 * to its terminal status (guarded, idempotent). Returns the winning rows.
 */
async function recordOutcomesUntraced(db: Database, outcomes: NewOutcome[]): Promise<Map<string, ResultRow>> {
  if (outcomes.length === 0) return new Map();
  return db.transaction(async (tx) => {
    // Issue 13 (erasure): store outcomes only for jobs that still exist, locked FOR SHARE so an erasure
    // (which locks FOR UPDATE, lib/db/erasure.ts) runs wholly before or after. A job erased while it was
    // evaluated gets no result: it is cancelled, not resurrected.
    const present = await tx
      .select({ id: jobs.id })
      .from(jobs)
      .where(
        inArray(
          jobs.id,
          outcomes.map((o) => o.jobId),
        ),
      )
      .for('share');
    const kept = new Set(present.map((r) => r.id));
    const live = outcomes.filter((o) => kept.has(o.jobId));
    if (live.length === 0) return new Map<string, ResultRow>();
    await tx.insert(results).values(live).onConflictDoNothing({ target: results.jobId });
    const ids = live.map((o) => o.jobId);
    const rows = await tx.select().from(results).where(inArray(results.jobId, ids));
    await tx.execute(sql`
      update ${jobs} set status = r.outcome, error_code = r.error_code, error_message = r.error_message, updated_at = now()
      from ${results} r
      where r.job_id = ${jobs.id} and ${inArray(jobs.id, ids)} and r.job_id in (${sql.join(
        ids.map((id) => sql`${id}::uuid`),
        sql`, `,
      )})
        and ${jobs.status} in ('queued', 'processing')`);
    return new Map(rows.map((r) => [r.jobId, r]));
  });
}

export const loadJobs = traced('loadJobs', loadJobsUntraced);

export const loadResults = traced('loadResults', loadResultsUntraced);

export const startAttempts = traced('startAttempts', startAttemptsUntraced);

export const recordOutcomes = traced('recordOutcomes', recordOutcomesUntraced);
