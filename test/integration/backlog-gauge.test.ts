// The JobsNotTerminal alert reads the age of the oldest unfinished job: 0 when every job is terminal,
// the age of the oldest queued or processing job otherwise. On the real PostgreSQL.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { oldestUnfinishedJobAgeSeconds } from '../../lib/db/backlog.ts';
import { closeDatabase, createDatabase, type Database } from '../../lib/db/database.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { seedClient, seedJob } from '../helpers/jobs.ts';

let db: Database;
beforeAll(async () => {
  const stack = await isolatedStack('backlog');
  db = createDatabase(stack.databaseUrl, { poolSize: 2 });
});
afterAll(() => closeDatabase(db));

it('is 0 without unfinished jobs and the oldest unfinished job’s age otherwise', async () => {
  expect(await oldestUnfinishedJobAgeSeconds(db)).toBe(0);
  const client = await seedClient(db);
  const old = await seedJob(db, client, 'An old CV');
  const recent = await seedJob(db, client, 'A recent CV');
  await db.execute(sql`update jobs set created_at = now() - interval '2 hours' where id = ${old}`);
  await db.execute(
    sql`update jobs set created_at = now() - interval '3 hours', status = 'processing' where id = ${recent}`,
  );
  expect(await oldestUnfinishedJobAgeSeconds(db)).toBeGreaterThanOrEqual(3 * 3600);
  // a terminal job, however old, is not a backlog
  await db.execute(
    sql`update jobs set status = 'failed', error_code = 'X', error_message = 'x' where id = ${recent}`,
  );
  const age = await oldestUnfinishedJobAgeSeconds(db);
  expect(age).toBeGreaterThanOrEqual(2 * 3600);
  expect(age).toBeLessThan(3 * 3600);
});
