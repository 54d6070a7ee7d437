-- The provider-call claim is held for a lease: a second owner of the job's request record (the
-- partition moved while the first evaluated it) waits for the first one's outcome instead of paying
-- the provider again. Released when the evaluation ends without an outcome; expires if its holder died.
alter table "jobs" add column if not exists "provider_claim_until" timestamptz;
