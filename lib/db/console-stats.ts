// The console dashboard's figures, each scoped to one client (the same tenant boundary as the API).
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Database } from './database.ts';
import { jobs, results } from './schema.ts';

export interface DashboardStats {
  byStatus: Record<string, number>;
  /** completed or failed outcomes per 5-minute bucket over the last hour, oldest first */
  throughput: { minutesAgo: number; count: number }[];
  /** age of the oldest job still waiting for an evaluator, in seconds (0 when none waits) */
  oldestWaitingSeconds: number;
  recentFailures: { id: string; code: string; message: string; at: Date }[];
}

export async function dashboardStats(db: Database, clientId: string): Promise<DashboardStats> {
  const [statusRows, throughputRows, waitingRows, failures] = await Promise.all([
    db
      .select({ status: jobs.status, n: sql<number>`count(*)::int` })
      .from(jobs)
      .where(eq(jobs.clientId, clientId))
      .groupBy(jobs.status),
    db.execute<{ bucket: number; n: number }>(sql`
      select floor(extract(epoch from now() - r.created_at) / 300)::int as bucket, count(*)::int as n
      from ${results} r join ${jobs} j on j.id = r.job_id
      where j.client_id = ${clientId} and r.created_at > now() - interval '1 hour'
      group by 1`),
    db.execute<{ age: number | null }>(sql`
      select extract(epoch from now() - min(created_at))::float8 as age
      from ${jobs} where client_id = ${clientId} and status in ('queued', 'processing')`),
    db
      .select({ id: jobs.id, code: jobs.errorCode, message: jobs.errorMessage, at: jobs.updatedAt })
      .from(jobs)
      .where(and(eq(jobs.clientId, clientId), eq(jobs.status, 'failed')))
      .orderBy(desc(jobs.updatedAt))
      .limit(10),
  ]);
  const buckets = new Map([...throughputRows].map((r) => [Number(r.bucket), Number(r.n)]));
  return {
    byStatus: Object.fromEntries(statusRows.map((r) => [r.status, Number(r.n)])),
    throughput: Array.from({ length: 12 }, (_, i) => 11 - i).map((b) => ({
      minutesAgo: (b + 1) * 5,
      count: buckets.get(b) ?? 0,
    })),
    oldestWaitingSeconds: Math.round(Number([...waitingRows][0]?.age ?? 0)),
    recentFailures: failures.map((f) => ({
      id: f.id,
      code: f.code ?? 'FAILED',
      message: f.message ?? '',
      at: f.at,
    })),
  };
}
