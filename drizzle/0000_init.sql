CREATE TABLE "clients" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"api_key_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"client_id" uuid NOT NULL,
	"idempotency_key" text NOT NULL,
	"request_fingerprint" text NOT NULL,
	"cv_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"job_description" text,
	"study_case_brief" text,
	"scoring_rubric" text,
	"status" text DEFAULT 'queued' NOT NULL,
	"error_code" text,
	"error_message" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"published_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "jobs_status_check" CHECK ("jobs"."status" in ('queued', 'processing', 'completed', 'failed')),
	CONSTRAINT "jobs_failed_has_reason" CHECK ("jobs"."status" <> 'failed' or ("jobs"."error_code" is not null and "jobs"."error_message" is not null)),
	CONSTRAINT "jobs_attempts_check" CHECK ("jobs"."attempts" >= 0)
);
--> statement-breakpoint
CREATE TABLE "results" (
	"job_id" uuid PRIMARY KEY NOT NULL,
	"outcome" text NOT NULL,
	"cv_match_rate" numeric(3, 2),
	"cv_feedback" text,
	"project_score" numeric(3, 1),
	"project_feedback" text,
	"overall_summary" text,
	"cv_scores" jsonb,
	"project_scores" jsonb,
	"error_code" text,
	"error_message" text,
	"provenance" jsonb NOT NULL,
	"source_partition" integer NOT NULL,
	"source_offset" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "results_outcome_check" CHECK ("results"."outcome" in ('completed', 'failed')),
	CONSTRAINT "results_cv_match_rate_range" CHECK ("results"."cv_match_rate" between 0 and 1),
	CONSTRAINT "results_project_score_range" CHECK ("results"."project_score" between 1 and 10),
	CONSTRAINT "results_completed_fields" CHECK ("results"."outcome" <> 'completed' or ("results"."cv_match_rate" is not null and "results"."project_score" is not null
        and "results"."cv_feedback" is not null and "results"."project_feedback" is not null and "results"."overall_summary" is not null
        and "results"."cv_scores" is not null and "results"."project_scores" is not null)),
	CONSTRAINT "results_failed_fields" CHECK ("results"."outcome" <> 'failed' or ("results"."error_code" is not null and "results"."error_message" is not null)),
	CONSTRAINT "results_source_check" CHECK ("results"."source_partition" >= 0 and "results"."source_offset" >= 0)
);
--> statement-breakpoint
CREATE TABLE "uploads" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"client_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"filename" text NOT NULL,
	"media_type" text NOT NULL,
	"size_bytes" integer NOT NULL,
	"sha256" text NOT NULL,
	"extracted_text" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "uploads_kind_check" CHECK ("uploads"."kind" in ('cv', 'project')),
	CONSTRAINT "uploads_size_check" CHECK ("uploads"."size_bytes" >= 0)
);
--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_cv_id_uploads_id_fk" FOREIGN KEY ("cv_id") REFERENCES "public"."uploads"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_project_id_uploads_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."uploads"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "results" ADD CONSTRAINT "results_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "uploads" ADD CONSTRAINT "uploads_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "clients_api_key_hash_key" ON "clients" USING btree ("api_key_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_client_idempotency_key" ON "jobs" USING btree ("client_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "jobs_client_created_idx" ON "jobs" USING btree ("client_id","created_at","id");--> statement-breakpoint
CREATE INDEX "jobs_unpublished_idx" ON "jobs" USING btree ("created_at") WHERE "jobs"."published_at" is null;--> statement-breakpoint
CREATE INDEX "uploads_client_idx" ON "uploads" USING btree ("client_id","created_at");