// One rule for every statement that writes or locks several jobs: their rows are locked in id order.
// PostgreSQL locks the rows of `id = any(…)` in the order its plan visits them (a bitmap or sequential
// scan: storage order), so two such statements over overlapping jobs could each hold a row the other
// waits for — a deadlock, which PostgreSQL breaks by failing one of them. Locked in one order, the later
// statement queues on the first job both want, holding nothing the earlier one needs.
import { type SQL, sql } from 'drizzle-orm';
import { idIn } from './id-list.ts';
import { jobs } from './schema.ts';

/** `no key update` to change a job's columns; `key share` to refer to it (a foreign key) meanwhile. */
export type JobLockMode = 'no key update' | 'key share';

/**
 * `select id, status from jobs …` for the given ids that still exist, their rows locked in id order, for
 * a CTE or a sub-select. The status is the locked row's, its newest version: what a statement that
 * queued for the lock must decide on.
 */
export function lockedJobs(ids: string[], mode: JobLockMode = 'no key update'): SQL {
  return sql`select ${jobs.id} as id, ${jobs.status} as status from ${jobs}
    where ${idIn(jobs.id, ids)} order by ${jobs.id} for ${sql.raw(mode)}`;
}

/**
 * `jobs.id in (…)` for the given ids, their rows locked FOR NO KEY UPDATE in id order by a sub-select
 * (a locking sub-select is planned on its own: sorted, then locked row by row; the statement then
 * touches only rows it returned, so already locked — a hash semi-join builds it whole first). For
 * updates; an erasure, which deletes, locks FOR UPDATE in the same order.
 */
export function jobsLockedInIdOrder(ids: string[]): SQL {
  return sql`${jobs.id} in (select id from (${lockedJobs(ids)}) as locked)`;
}
