-- Provider calls per job: the figure behind "the provider is paid once" (each evaluation counts one
-- before it calls the provider; a zombie or a retry that would pay twice shows up here).
alter table "jobs" add column if not exists "provider_calls" integer not null default 0;
