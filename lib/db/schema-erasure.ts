// Jobs erased on request or by retention: ids only, so a replayed request record is skipped, and when
// the job's tombstone is owed on the results topic (lib/jobs/retention.ts). Kept apart from schema.ts
// (its size); schema.ts re-exports it.
import { sql } from 'drizzle-orm';
import { check, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const erasedJobs = pgTable(
  'erased_jobs',
  {
    jobId: uuid('job_id').primaryKey(),
    clientId: uuid('client_id').notNull(),
    reason: text('reason', { enum: ['request', 'retention'] }).notNull(),
    erasedAt: timestamp('erased_at', { withTimezone: true }).notNull().defaultNow(),
    /**
     * when the retention sweep sends the job's tombstone (again), unless a publish is marked first; null
     * once none is owed. A minute after the erasure at first: the eraser's own publish has ended by then.
     */
    tombstoneDueAt: timestamp('tombstone_due_at', { withTimezone: true }).default(
      sql`now() + interval '1 minute'`,
    ),
  },
  (t) => [
    check('erased_jobs_reason_check', sql`${t.reason} in ('request', 'retention')`),
    index('erased_jobs_erased_at_idx').on(t.erasedAt),
    index('erased_jobs_tombstone_due_idx').on(t.tombstoneDueAt).where(sql`${t.tombstoneDueAt} is not null`),
  ],
);
