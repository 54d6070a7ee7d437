-- The evaluator's progress per input partition is the highest source offset of its stored outcomes: asked
-- before every partition is processed (lost committed offsets fail closed) and by `npm run
-- offsets:restore`. Without this index each ask scans the whole results table.
create index if not exists "results_source_idx" on "results" using btree ("source_partition", "source_offset");
