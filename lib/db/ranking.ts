// A position's ranking. The combined score (0–100, one decimal) weighs the CV and the project equally:
//   combined = 50 × (cv_match_rate − 0.2) / 0.8 + 50 × (project_score − 2) / 8
// cv_match_rate is a 1–5 weighted average ÷ 5 (0.20–1.00) and project_score one × 2 (2.0–10.0), so each
// half spans 0–50: a CV and a report at 1 of 5 on every criterion make 0, at 5 make 100. (Found from
// outside: the formula was 50 × cv_match_rate + 50 × (project_score − 1) / 9, written for 0–1 and 1–10,
// so a candidate with nothing at all scored 15.6 and the project's half spanned 44.4 points to the CV's
// 40.) Unscored jobs (queued,
// processing, failed) have no combined score and rank after every scored one. Ties are broken by the
// job's acceptance time, then its place in its batch, then its id: a stable order that pagination
// can resume.
import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { Database } from './database.ts';
import { type JobStatus, jobs, results } from './schema.ts';
import { traced } from './trace.ts';

const combinedOf = (cv: unknown, project: unknown) =>
  sql`round(50 * (${cv} - 0.2) / 0.8 + 50 * (${project} - 2) / 8, 1)`;
const combined = sql<string | null>`${combinedOf(results.cvMatchRate, results.projectScore)}`;
/** The sort key: unscored jobs sort as -1, below every real score. */
const sortScore = sql<string>`coalesce(${combinedOf(results.cvMatchRate, results.projectScore)}, -1)`;

const batchIndex = sql<number>`coalesce(${jobs.batchIndex}, 0)`;

export interface RankingOptions {
  status?: JobStatus;
  minScore?: number;
  version?: number;
  limit: number;
  after?: { score: string; createdAt: string; batchIndex: number; id: string };
}

async function positionRankingUntraced(
  db: Database,
  clientId: string,
  positionId: string,
  o: RankingOptions,
) {
  const conditions: SQL[] = [eq(jobs.clientId, clientId), eq(jobs.positionId, positionId)];
  if (o.status) conditions.push(eq(jobs.status, o.status));
  if (o.version !== undefined) conditions.push(eq(jobs.positionVersion, o.version));
  if (o.minScore !== undefined) conditions.push(sql`${combined} >= ${o.minScore}`);
  if (o.after) {
    conditions.push(sql`(${sortScore} < ${o.after.score}::numeric or (${sortScore} = ${o.after.score}::numeric
      and (${jobs.createdAt}, ${batchIndex}, ${jobs.id}) > (${o.after.createdAt}::timestamptz, ${o.after.batchIndex}::int, ${o.after.id}::uuid)))`);
  }
  return db
    .select({
      jobId: jobs.id,
      cvId: jobs.cvId,
      projectId: jobs.projectId,
      status: jobs.status,
      positionVersion: jobs.positionVersion,
      batchId: jobs.batchId,
      createdAt: jobs.createdAt,
      combinedScore: combined,
      sortScore,
      batchIndex,
      cursorTime: sql<string>`to_char(${jobs.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
      cvMatchRate: results.cvMatchRate,
      projectScore: results.projectScore,
      cvScores: results.cvScores,
      projectScores: results.projectScores,
      provenance: results.provenance,
      errorCode: sql<string | null>`coalesce(${results.errorCode}, ${jobs.errorCode})`,
    })
    .from(jobs)
    .leftJoin(results, eq(results.jobId, jobs.id))
    .where(and(...conditions))
    .orderBy(sql`${sortScore} desc`, jobs.createdAt, batchIndex, jobs.id)
    .limit(o.limit);
}

export type RankingRow = Awaited<ReturnType<typeof positionRankingUntraced>>[number];

export const positionRanking = traced('positionRanking', positionRankingUntraced);
