// How far behind the pipeline is, as the alerts see it: the age of the oldest job accepted but neither
// completed nor failed. 0 when every job is terminal.
import { sql } from 'drizzle-orm';
import type { Database } from './database.ts';

export async function oldestUnfinishedJobAgeSeconds(db: Database): Promise<number> {
  const rows = await db.execute<{ age: number | string | null }>(
    sql`select extract(epoch from now() - min(created_at)) as age from jobs where status in ('queued', 'processing')`,
  );
  const age = rows[0]?.age;
  return age === null || age === undefined ? 0 : Math.max(0, Math.round(Number(age)));
}
