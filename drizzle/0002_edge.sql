-- Issue 13: revocable, rotatable API keys; rate-limit and quota counters shared by every submit
-- instance; erasure markers (no personal data) so an erased job is never evaluated again; an access log
-- of result reads.
CREATE TABLE IF NOT EXISTS "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"client_id" uuid NOT NULL,
	"key_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id")
);
--> statement-breakpoint
CREATE UNIQUE INDEX IF NOT EXISTS "api_keys_key_hash_key" ON "api_keys" USING btree ("key_hash");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "api_keys_client_idx" ON "api_keys" USING btree ("client_id", "created_at");
--> statement-breakpoint
-- Keys created before this migration become each client's first key.
INSERT INTO "api_keys" ("client_id", "key_hash", "created_at")
	SELECT "id", "api_key_hash", "created_at" FROM "clients" WHERE "api_key_hash" IS NOT NULL
	ON CONFLICT DO NOTHING;
--> statement-breakpoint
ALTER TABLE "clients" ALTER COLUMN "api_key_hash" DROP NOT NULL;
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "rate_counters" (
	"client_id" uuid NOT NULL,
	"bucket" text NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"count" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "rate_counters_pk" PRIMARY KEY ("client_id", "bucket", "window_start")
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "erased_jobs" (
	"job_id" uuid PRIMARY KEY NOT NULL,
	"client_id" uuid NOT NULL,
	"reason" text NOT NULL,
	"erased_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "erased_jobs_reason_check" CHECK ("reason" in ('request', 'retention'))
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "erased_jobs_erased_at_idx" ON "erased_jobs" USING btree ("erased_at");
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "result_reads" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"job_id" uuid NOT NULL,
	"client_id" uuid NOT NULL,
	"api_key_id" uuid,
	"request_id" text,
	"read_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "result_reads_job_idx" ON "result_reads" USING btree ("job_id", "read_at");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "uploads_created_idx" ON "uploads" USING btree ("created_at");
