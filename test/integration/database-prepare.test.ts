// Statements with few parameters are prepared on the real PostgreSQL (lib/db/database.ts): one round
// trip instead of Describe then Bind/Execute — in a transaction and its savepoints too, which run on a
// reserved connection through sql objects of their own.
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { closeDatabase, createDatabase, type Database } from '../../lib/db/database.ts';
import { jobs } from '../../lib/db/schema.ts';
import { isolatedStack } from '../helpers/isolation.ts';

const stack = await isolatedStack('prepare');

/** The prepared statements of the session `db` runs on that look up a job by id. */
async function preparedLookups(db: Pick<Database, 'execute'>): Promise<number> {
  const [row] = await db.execute<{ n: number }>(
    sql`select count(*)::int as n from pg_prepared_statements where statement like '%"jobs"."id" = $1%'`,
  );
  return row!.n;
}

describe('prepared statements', () => {
  it('a look-up by id is prepared outside a transaction, inside one, and inside a savepoint', async () => {
    const lookUp = (db: Pick<Database, 'select'>) =>
      db.select({ id: jobs.id }).from(jobs).where(eq(jobs.id, randomUUID()));
    // one connection each: the count is that connection's, and nothing ran on it before
    const plain = createDatabase(stack.databaseUrl, { poolSize: 1 });
    const inTx = createDatabase(stack.databaseUrl, { poolSize: 1 });
    const inSavepoint = createDatabase(stack.databaseUrl, { poolSize: 1 });
    try {
      await lookUp(plain);
      expect(await preparedLookups(plain)).toBe(1);
      await inTx.transaction(async (tx) => {
        await lookUp(tx);
        expect(await preparedLookups(tx)).toBe(1);
      });
      await inSavepoint.transaction(async (tx) => {
        await tx.transaction(async (nested) => {
          await lookUp(nested);
          expect(await preparedLookups(nested)).toBe(1);
        });
      });
    } finally {
      await Promise.all([plain, inTx, inSavepoint].map((db) => closeDatabase(db)));
    }
  });
});
