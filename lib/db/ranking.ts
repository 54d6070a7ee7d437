// A position's ranking. The combined score (0–100, one decimal) weighs the CV and the project equally:
//   combined = 50 × cv_match_rate + 50 × (project_score − 1) / 9
// (cv_match_rate is 0–1, project_score 1–10, so each half spans 0–50). Unscored jobs (queued,
// processing, failed) have no combined score and rank after every scored one. Ties are broken by the
// job's creation time, then its id: a stable order that pagination can resume.
import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { Database } from './database.ts';
import { type JobStatus, jobs, results } from './schema.ts';
import { traced } from './trace.ts';

const combined = sql<
  string | null
>`round(50 * ${results.cvMatchRate} + 50 * (${results.projectScore} - 1) / 9, 1)`;
/** The sort key: unscored jobs sort as -1, below every real score. */
const sortScore = sql<string>`coalesce(round(50 * ${results.cvMatchRate} + 50 * (${results.projectScore} - 1) / 9, 1), -1)`;

export interface RankingOptions {
  status?: JobStatus;
  minScore?: number;
  version?: number;
  limit: number;
  after?: { score: string; createdAt: string; id: string };
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
      and (${jobs.createdAt}, ${jobs.id}) > (${o.after.createdAt}::timestamptz, ${o.after.id}::uuid)))`);
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
    .orderBy(sql`${sortScore} desc`, jobs.createdAt, jobs.id)
    .limit(o.limit);
}

export type RankingRow = Awaited<ReturnType<typeof positionRankingUntraced>>[number];

export const positionRanking = traced('positionRanking', positionRankingUntraced);
