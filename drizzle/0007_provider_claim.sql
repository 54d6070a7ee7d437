-- The token of the last provider-call claim: a claim whose acknowledgement was lost (the database went
-- away after the update) is retried with the same token and not counted twice.
alter table "jobs" add column if not exists "provider_claim" uuid;
