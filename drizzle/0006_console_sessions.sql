-- Web console sessions (issue 16). The cookie carries a random token; only its sha256 is stored, so a
-- read of this table cannot be replayed as a cookie. api_key_hash ties the session to the key that
-- signed in: rotating or revoking that key ends the sessions it opened.
CREATE TABLE IF NOT EXISTS "console_sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"client_id" uuid NOT NULL REFERENCES "clients"("id") ON DELETE CASCADE,
	"api_key_hash" text NOT NULL,
	"csrf_token" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "console_sessions_expires_idx" ON "console_sessions" ("expires_at");
