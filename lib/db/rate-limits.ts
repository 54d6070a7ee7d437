// Fixed-window counters in PostgreSQL: one upsert per counted request, atomic across every submit
// instance (the row's lock serialises concurrent hits). Windows are aligned to the epoch, so a daily
// quota resets at 00:00 UTC.
import { sql } from 'drizzle-orm';
import type { Database } from './database.ts';
import { traced } from './trace.ts';

export interface WindowHit {
  allowed: boolean;
  limit: number;
  /** requests left in this window after this one */
  remaining: number;
  /** seconds until the window resets */
  resetSeconds: number;
}

async function hitWindowUntraced(
  db: Database,
  clientId: string,
  bucket: string,
  windowSeconds: number,
  limit: number,
): Promise<WindowHit> {
  const [row] = await db.execute<{ count: number; reset: number }>(sql`
    insert into rate_counters as c (client_id, bucket, window_start, count)
    values (${clientId}::uuid, ${bucket},
            to_timestamp(floor(extract(epoch from now()) / ${windowSeconds}) * ${windowSeconds}), 1)
    on conflict (client_id, bucket, window_start) do update set count = c.count + 1
    returning c.count,
      ceil(extract(epoch from c.window_start) + ${windowSeconds} - extract(epoch from now()))::int as reset`);
  const count = Number(row!.count);
  return {
    allowed: count <= limit,
    limit,
    remaining: Math.max(0, limit - count),
    resetSeconds: Math.max(1, Number(row!.reset)),
  };
}

/** Current count in this window without counting (for a quota checked before it is spent). */
async function peekWindowUntraced(
  db: Database,
  clientId: string,
  bucket: string,
  windowSeconds: number,
): Promise<number> {
  const [row] = await db.execute<{ count: number }>(sql`
    select count from rate_counters
    where client_id = ${clientId}::uuid and bucket = ${bucket}
      and window_start = to_timestamp(floor(extract(epoch from now()) / ${windowSeconds}) * ${windowSeconds})`);
  return row ? Number(row.count) : 0;
}

/** Counters of windows that ended more than a day ago. */
export async function deleteOldCounters(db: Database): Promise<number> {
  const rows = await db.execute(
    sql`delete from rate_counters where window_start < now() - interval '2 days'`,
  );
  return rows.count ?? 0;
}

export const hitWindow = traced('hitWindow', hitWindowUntraced);
export const peekWindow = traced('peekWindow', peekWindowUntraced);
