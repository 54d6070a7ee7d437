-- When an erased job's tombstone is owed on the results topic (lib/jobs/retention.ts): a minute after
-- the erasure unless its publish is marked first, then an hour after it (a result committed to Kafka in
-- the moment of the erasure could follow the first one), then never. Until now every evaluate
-- invocation re-sent the tombstones of the last hour's erasures.
alter table "erased_jobs" add column if not exists "tombstone_due_at" timestamptz;
--> statement-breakpoint
-- set apart from the column, so that the earlier rows stay null (none owed) without being rewritten
alter table "erased_jobs" alter column "tombstone_due_at" set default now() + interval '1 minute';
--> statement-breakpoint
-- The code before this one re-sent tombstones for an hour: those of the last hour are owed the one after.
update "erased_jobs" set "tombstone_due_at" = "erased_at" + interval '1 hour'
  where "erased_at" > now() - interval '1 hour' and "tombstone_due_at" is null;
--> statement-breakpoint
create index if not exists "erased_jobs_tombstone_due_idx" on "erased_jobs" using btree ("tombstone_due_at")
  where "tombstone_due_at" is not null;
