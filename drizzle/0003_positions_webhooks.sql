-- Positions (versioned), batch evaluations, and webhook endpoints, secrets and deliveries.
CREATE TABLE IF NOT EXISTS "positions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"client_id" uuid NOT NULL REFERENCES "clients"("id"),
	"current_version" integer DEFAULT 1 NOT NULL,
	"archived_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "positions_version_check" CHECK ("current_version" >= 1)
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "positions_client_idx" ON "positions" ("client_id", "created_at", "id");
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "position_versions" (
	"position_id" uuid NOT NULL REFERENCES "positions"("id"),
	"version" integer NOT NULL,
	"title" text NOT NULL,
	"job_description" text NOT NULL,
	"study_case_brief" text NOT NULL,
	"scoring_rubric" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "position_versions_pkey" PRIMARY KEY ("position_id", "version"),
	CONSTRAINT "position_versions_version_check" CHECK ("version" >= 1)
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "evaluation_batches" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"client_id" uuid NOT NULL REFERENCES "clients"("id"),
	"idempotency_key" text NOT NULL,
	"request_fingerprint" text NOT NULL,
	"position_id" uuid NOT NULL,
	"position_version" integer NOT NULL,
	"size" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "evaluation_batches_position_fk" FOREIGN KEY ("position_id", "position_version")
		REFERENCES "position_versions"("position_id", "version"),
	CONSTRAINT "evaluation_batches_size_check" CHECK ("size" between 1 and 100)
);
--> statement-breakpoint
CREATE UNIQUE INDEX IF NOT EXISTS "evaluation_batches_client_key" ON "evaluation_batches" ("client_id", "idempotency_key");
--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN IF NOT EXISTS "position_id" uuid;
--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN IF NOT EXISTS "position_version" integer;
--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN IF NOT EXISTS "batch_id" uuid REFERENCES "evaluation_batches"("id");
--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN IF NOT EXISTS "batch_index" integer;
--> statement-breakpoint
ALTER TABLE "jobs" DROP CONSTRAINT IF EXISTS "jobs_position_version_fk";
--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_position_version_fk" FOREIGN KEY ("position_id", "position_version")
	REFERENCES "position_versions"("position_id", "version");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "jobs_position_idx" ON "jobs" ("position_id", "created_at", "id") WHERE "position_id" IS NOT NULL;
--> statement-breakpoint
CREATE UNIQUE INDEX IF NOT EXISTS "jobs_batch_index_key" ON "jobs" ("batch_id", "batch_index") WHERE "batch_id" IS NOT NULL;
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "webhook_endpoints" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"client_id" uuid NOT NULL REFERENCES "clients"("id"),
	"url" text NOT NULL,
	"event_types" text[] NOT NULL,
	"description" text,
	"status" text DEFAULT 'active' NOT NULL,
	"disabled_reason" text,
	"disabled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_endpoints_status_check" CHECK ("status" in ('active', 'disabled', 'deleted'))
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "webhook_endpoints_client_idx" ON "webhook_endpoints" ("client_id", "created_at", "id");
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "webhook_secrets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"endpoint_id" uuid NOT NULL REFERENCES "webhook_endpoints"("id"),
	"secret" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "webhook_secrets_endpoint_idx" ON "webhook_secrets" ("endpoint_id", "created_at");
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "webhook_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"endpoint_id" uuid NOT NULL REFERENCES "webhook_endpoints"("id"),
	"client_id" uuid NOT NULL REFERENCES "clients"("id"),
	"job_id" uuid NOT NULL REFERENCES "jobs"("id"),
	"event_type" text NOT NULL,
	"payload" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"locked_until" timestamp with time zone,
	"last_status" integer,
	"last_error" text,
	"first_attempt_at" timestamp with time zone,
	"last_attempt_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"source_partition" integer NOT NULL,
	"source_offset" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_deliveries_status_check" CHECK ("status" in ('pending', 'delivered', 'failed', 'cancelled')),
	CONSTRAINT "webhook_deliveries_pending_scheduled" CHECK ("status" <> 'pending' or "next_attempt_at" is not null),
	CONSTRAINT "webhook_deliveries_source_check" CHECK ("source_partition" >= 0 and "source_offset" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX IF NOT EXISTS "webhook_deliveries_endpoint_job_key" ON "webhook_deliveries" ("endpoint_id", "job_id", "event_type");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "webhook_deliveries_due_idx" ON "webhook_deliveries" ("next_attempt_at") WHERE "status" = 'pending';
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "webhook_deliveries_endpoint_idx" ON "webhook_deliveries" ("endpoint_id", "created_at", "id");
