-- Lost committed offsets fail closed (lib/kafka/progress.ts). The evaluator records every position its
-- transactions committed per input partition; a partition whose group offset is gone or behind the
-- record is refused instead of replayed. Keyed by topic, not group: a renamed group is lost offsets too.
create table if not exists "committed_offsets" (
  "topic" text not null,
  "partition" integer not null,
  "next_offset" bigint not null,
  "updated_at" timestamp with time zone default now() not null,
  constraint "committed_offsets_pk" primary key ("topic", "partition"),
  constraint "committed_offsets_check" check ("partition" >= 0 and "next_offset" >= 0)
);
--> statement-breakpoint
-- `npm run offsets:restore` reads each partition's latest outcomes by source offset.
create index if not exists "results_source_idx" on "results" using btree ("source_partition", "source_offset");
