// The positions the evaluator's transactions committed, per input partition (lib/kafka/progress.ts): a
// group offset that is gone or behind this record is refused, not replayed. Only ever raised, except by
// `npm run offsets:restore`, which sets it to the offsets it restores. Kept apart from schema.ts (its
// size); schema.ts re-exports it.
import { sql } from 'drizzle-orm';
import { bigint, check, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

export const committedOffsets = pgTable(
  'committed_offsets',
  {
    topic: text('topic').notNull(),
    partition: integer('partition').notNull(),
    nextOffset: bigint('next_offset', { mode: 'bigint' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'committed_offsets_pk', columns: [t.topic, t.partition] }),
    check('committed_offsets_check', sql`${t.partition} >= 0 and ${t.nextOffset} >= 0`),
  ],
);
