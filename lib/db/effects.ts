// The evaluator's effects in PostgreSQL (docs/design.md, evaluate protocol steps 3 and 5). Each terminal
// outcome is stored once per job (results.job_id is the primary key), tagged with the request record it came
// from, so a replay of the same record (its Kafka transaction never committed) is told from a duplicate
// record.
import { and, eq, getTableColumns, sql } from 'drizzle-orm';
import type { Database } from './database.ts';
import { idIn } from './id-list.ts';
import { jobsLockedInIdOrder, lockedJobs } from './job-locks.ts';
import { jobs, positionVersions, results, uploads } from './schema.ts';
import { traced } from './trace.ts';

export type ResultRow = typeof results.$inferSelect;

export interface JobForEvaluation {
  id: string;
  status: string;
  attempts: number;
  /** bytes of its documents (CV, project, overrides): what loading its texts costs */
  textBytes: number;
}

export interface JobTexts {
  cvText: string;
  projectText: string;
  jobDescription: string | null;
  studyCaseBrief: string | null;
  scoringRubric: string | null;
}

const cvText = sql`(select extracted_text from ${uploads} where ${uploads.id} = ${jobs.cvId})`;
const projectText = sql`(select extracted_text from ${uploads} where ${uploads.id} = ${jobs.projectId})`;
// a position's job evaluates against the position version it recorded
const jobDescription = sql`coalesce(${jobs.jobDescription}, ${positionVersions.jobDescription})`;
const studyCaseBrief = sql`coalesce(${jobs.studyCaseBrief}, ${positionVersions.studyCaseBrief})`;
const scoringRubric = sql`coalesce(${jobs.scoringRubric}, ${positionVersions.scoringRubric})`;
const withPosition = and(
  eq(positionVersions.positionId, jobs.positionId),
  eq(positionVersions.version, jobs.positionVersion),
);

/** The jobs and the size of their documents, not the documents (loadJobTexts, within a byte budget). */
async function loadJobsUntraced(db: Database, ids: string[]): Promise<Map<string, JobForEvaluation>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({
      id: jobs.id,
      status: jobs.status,
      attempts: jobs.attempts,
      textBytes: sql<number>`(coalesce(octet_length(${cvText}), 0) + coalesce(octet_length(${projectText}), 0)
        + coalesce(octet_length(${jobDescription}), 0) + coalesce(octet_length(${studyCaseBrief}), 0)
        + coalesce(octet_length(${scoringRubric}), 0))::int`,
    })
    .from(jobs)
    .leftJoin(positionVersions, withPosition)
    .where(idIn(jobs.id, ids));
  return new Map(rows.map((r) => [r.id, r]));
}

async function loadJobTextsUntraced(db: Database, ids: string[]): Promise<Map<string, JobTexts>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({
      id: jobs.id,
      cvText: sql<string>`${cvText}`,
      projectText: sql<string>`${projectText}`,
      jobDescription: sql<string | null>`${jobDescription}`,
      studyCaseBrief: sql<string | null>`${studyCaseBrief}`,
      scoringRubric: sql<string | null>`${scoringRubric}`,
    })
    .from(jobs)
    .leftJoin(positionVersions, withPosition)
    .where(idIn(jobs.id, ids));
  return new Map(rows.map(({ id, ...texts }) => [id, texts]));
}

async function loadResultsUntraced(db: Database, ids: string[]): Promise<Map<string, ResultRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db.select().from(results).where(idIn(results.jobId, ids));
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
    .where(jobsLockedInIdOrder(ids))
    .returning({ id: jobs.id, attempts: jobs.attempts });
  return new Map(rows.map((r) => [r.id, r.attempts]));
}

/** Takes back the attempt a batch counted for jobs it then left alone (a rebalance stopped it first). */
async function giveBackAttemptsUntraced(db: Database, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(jobs)
    .set({ attempts: sql`${jobs.attempts} - 1` })
    .where(sql`${jobsLockedInIdOrder(ids)} and ${jobs.attempts} > 0`);
}

/** What a claim of a provider call got: the call, or an outcome already stored, or another live claim. */
export type ProviderClaim = 'claimed' | 'stored' | 'busy';

/** One provider call asked for: the job, and the token naming this one call. */
export interface ClaimRequest {
  id: string;
  token: string;
}

/**
 * Counts one provider call for each job and holds it for `leaseMs`, unless its outcome is stored already
 * ('stored': whoever stored it paid; a zombie or a late retry must not pay again) or another claim holds
 * it ('busy': its evaluation is still running, typically at the partition's previous owner; wait for its
 * outcome). `token` names one call: a claim retried with the same token (its first reply was lost to an
 * outage, the update may have applied) is not counted again. A job that is gone (erased) answers
 * 'stored': there is nothing to pay for.
 *
 * One statement for the whole group, whatever its size (two array parameters: prepared once per
 * connection): the evaluations of a batch that start together claim together. The jobs are locked in id
 * order first, as every statement that locks several jobs does (lib/db/job-locks.ts): two owners of a
 * partition claiming the same jobs in groups of their own queue on the first common job instead of
 * deadlocking. A job asked for
 * twice in one group is claimed once; the other request answers 'busy' (it waits, as for any live claim).
 */
async function claimProviderCallsUntraced(
  db: Database,
  requests: ClaimRequest[],
  leaseMs: number,
): Promise<Map<ClaimRequest, ProviderClaim>> {
  const answers = new Map<ClaimRequest, ProviderClaim>();
  const first = new Map<string, ClaimRequest>();
  for (const r of requests) {
    if (first.has(r.id)) answers.set(r, 'busy');
    else first.set(r.id, r);
  }
  if (first.size === 0) return answers;
  const ids = [...first.keys()];
  const tokens = ids.map((id) => first.get(id)!.token);
  // The status is read from the row as locked (its newest version), and the update re-checks it on that
  // version: an outcome stored after this statement began, while it queued for the job, shows there
  // (recordOutcomes sets the terminal status with the row) though the results table, read as of the
  // statement's start, does not yet.
  const rows = await db.execute<{ id: string; claim: ProviderClaim }>(sql`
    with requested as (
      select * from unnest(${sql.param(ids)}::uuid[], ${sql.param(tokens)}::uuid[]) as r(id, token)
    ), locked as (${lockedJobs(ids)}), claimed as (
      update ${jobs} set
        provider_calls = ${jobs.providerCalls} + case when ${jobs.providerClaim} = requested.token then 0 else 1 end,
        provider_claim = requested.token,
        provider_claim_until = now() + ${leaseMs} * interval '1 millisecond'
      from requested
      where ${jobs.id} = requested.id and ${jobs.id} in (select id from locked)
        and ${jobs.status} in ('queued', 'processing')
        and not exists (select 1 from ${results} where ${results.jobId} = requested.id)
        and (${jobs.providerClaim} is null or ${jobs.providerClaim} = requested.token
          or ${jobs.providerClaimUntil} is null or ${jobs.providerClaimUntil} < now())
      returning ${jobs.id} as id
    )
    select requested.id,
      case when requested.id in (select id from claimed) then 'claimed'
        when exists (select 1 from locked where locked.id = requested.id and locked.status in ('queued', 'processing'))
          and not exists (select 1 from ${results} where ${results.jobId} = requested.id) then 'busy'
        else 'stored' end as claim
    from requested`);
  const byId = new Map(rows.map((r) => [r.id, r.claim]));
  for (const [id, r] of first) {
    const answer = byId.get(id);
    // every requested job has its row in the answer; a missing one must not read as "someone paid"
    if (!answer) throw new Error(`no claim answer for job ${id}`);
    answers.set(r, answer);
  }
  return answers;
}

/** Gives a claim's lease back: its evaluation ended without an outcome, and the retry may claim at once. */
async function releaseProviderClaimUntraced(db: Database, id: string, token: string): Promise<void> {
  await db
    .update(jobs)
    .set({ providerClaimUntil: null })
    .where(sql`${jobs.id} = ${id} and ${jobs.providerClaim} = ${token}::uuid`);
}

export type NewOutcome = typeof results.$inferInsert;

const RESULT_COLUMNS = Object.entries(getTableColumns(results));
/** The columns an outcome writes (created_at takes its default), with the types its JSON is read as. */
const OUTCOME_COLUMNS = RESULT_COLUMNS.filter(([key]) => key !== 'createdAt');
const outcomeRecordType = sql.raw(OUTCOME_COLUMNS.map(([, c]) => `${c.name} ${c.getSQLType()}`).join(', '));
const outcomeColumnList = sql.raw(OUTCOME_COLUMNS.map(([, c]) => c.name).join(', '));

/**
 * An outcome as one JSON object keyed by column name: JSON columns stay JSON, bigints become strings.
 * Text is made well-formed first: a message cut in the middle of a surrogate pair would be written as a
 * lone `\udXXX` escape, which PostgreSQL's JSON input refuses (failing every outcome of the write), where
 * a text parameter sent as UTF-8 stores U+FFFD in its place — as this does.
 */
function outcomeJson(o: NewOutcome): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [key, column] of OUTCOME_COLUMNS) {
    const value = o[key as keyof NewOutcome];
    row[column.name] =
      typeof value === 'bigint'
        ? String(value)
        : typeof value === 'string'
          ? value.toWellFormed()
          : (value ?? null);
  }
  return row;
}

/** A row of `results` as the driver returned it (column names, driver values), as drizzle maps a select. */
function resultRowOf(raw: Record<string, unknown>): ResultRow {
  const row: Record<string, unknown> = {};
  for (const [key, column] of RESULT_COLUMNS) {
    const value = raw[column.name];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as ResultRow;
}

/**
 * Stores outcomes in one prepared statement — one round trip once a connection has prepared it, where a
 * transaction of unprepared statements took eight (begin, three statements of two each, commit): lock
 * the jobs that still exist, insert-if-absent the outcomes of those jobs returning the rows written (as
 * stored, so a later replay emits the same bytes), and move each of those jobs to its terminal status
 * (guarded, idempotent). The rows another record already wrote (rare) are read afterwards. Returns the
 * winning rows.
 */
async function recordOutcomesUntraced(db: Database, outcomes: NewOutcome[]): Promise<Map<string, ResultRow>> {
  if (outcomes.length === 0) return new Map();
  const ids = outcomes.map((o) => o.jobId);
  // Issue 13 (erasure): outcomes are stored only for jobs that still exist, locked so an erasure (which
  // locks FOR UPDATE, lib/db/erasure.ts) runs wholly before or after. A job erased while it was evaluated
  // gets no result: it is cancelled, not resurrected. FOR NO KEY UPDATE in id order, not FOR SHARE: two
  // owners of a partition (a zombie and its successor) storing the same jobs in groups of their own then
  // queue on the first common job; with shared locks each would wait on the other's result row (insert)
  // while holding the job row the other must update — a deadlock. A job's row is locked before its
  // outcome is inserted (the insert reads the locked rows), so whoever inserts a result holds its job.
  // In the order given: of a job's outcomes given twice, the first is kept (as a multi-row insert keeps).
  const written = await db.execute<Record<string, unknown>>(sql`
    with present as (${lockedJobs(ids)}), stored as (
      insert into ${results} (${outcomeColumnList})
      select ${outcomeColumnList}
      from rows from (jsonb_to_recordset(${JSON.stringify(outcomes.map(outcomeJson))}::jsonb) as (${outcomeRecordType}))
        with ordinality as v(${outcomeColumnList}, ord)
      where v.job_id in (select id from present)
      order by v.ord
      on conflict (job_id) do nothing
      returning *
    ), terminal as (
      update ${jobs} set status = stored.outcome, error_code = stored.error_code,
        error_message = stored.error_message, updated_at = now()
      from stored where ${jobs.id} = stored.job_id and ${jobs.status} in ('queued', 'processing')
    )
    select * from stored`);
  const winners = new Map<string, ResultRow>();
  for (const raw of written) {
    const row = resultRowOf(raw);
    winners.set(row.jobId, row);
  }
  const lost = ids.filter((id) => !winners.has(id));
  if (lost.length > 0) {
    // stored by another record, or not stored because the job was erased (then nothing is read)
    for (const r of await db.select().from(results).where(idIn(results.jobId, lost))) winners.set(r.jobId, r);
  }
  return winners;
}

export const loadJobs = traced('loadJobs', loadJobsUntraced);

export const loadJobTexts = traced('loadJobTexts', loadJobTextsUntraced);

export const loadResults = traced('loadResults', loadResultsUntraced);

export const startAttempts = traced('startAttempts', startAttemptsUntraced);

export const giveBackAttempts = traced('giveBackAttempts', giveBackAttemptsUntraced);

export const recordOutcomes = traced('recordOutcomes', recordOutcomesUntraced);

export const claimProviderCalls = traced('claimProviderCalls', claimProviderCallsUntraced);

export const releaseProviderClaim = traced('releaseProviderClaim', releaseProviderClaimUntraced);
