-- Erasure and retention delete uploads, jobs and webhook deliveries in batches. Without these indexes
-- every upload deleted scanned all of jobs twice (its foreign keys from jobs.cv_id and jobs.project_id,
-- and the "still used by another job" check), every job deleted scanned webhook_deliveries, and each
-- batch's cleanup of old result reads scanned result_reads. At 20,000 jobs the foreign-key checks of
-- one 500-upload batch took 1.8 s (measured by hand), growing with the table: a large table's batch
-- would pass the 10 s statement bound (DATABASE_QUERY_TIMEOUT_MS) and be retried for ever.
create index if not exists "jobs_cv_idx" on "jobs" ("cv_id");
--> statement-breakpoint
create index if not exists "jobs_project_idx" on "jobs" ("project_id");
--> statement-breakpoint
create index if not exists "webhook_deliveries_job_idx" on "webhook_deliveries" ("job_id");
--> statement-breakpoint
create index if not exists "result_reads_read_at_idx" on "result_reads" ("read_at");
