// One rule for every statement that writes or locks several jobs: their rows are locked in id order.
// PostgreSQL locks the rows of `id = any(…)` in the order its plan visits them (a bitmap or sequential
// scan: storage order), so two such statements over overlapping jobs could each hold a row the other
// waits for — a deadlock, which PostgreSQL breaks by failing one of them. Locked in one order, the later
// statement queues on the first job both want, holding nothing the earlier one needs.
import { type SQL, sql } from 'drizzle-orm';
import { idIn } from './id-list.ts';
import { jobs } from './schema.ts';

/**
 * `jobs.id in (…)` for the given ids, their rows locked FOR NO KEY UPDATE in id order by a sub-select
 * (a locking sub-select is planned on its own: sorted, then locked row by row; the statement then
 * touches only rows it returned, so already locked — a hash semi-join builds it whole first). For
 * updates; an erasure, which deletes, locks FOR UPDATE in the same order.
 */
export function jobsLockedInIdOrder(ids: string[]): SQL {
  return sql`${jobs.id} in (select ${jobs.id} from ${jobs} where ${idIn(jobs.id, ids)} order by ${jobs.id} for no key update)`;
}
