// The database handle: postgres.js underneath, drizzle on top. One pool per process.
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema.ts';
import { tolerateTypeFetchFailures } from './type-fetch-guard.ts';

export type Database = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql };

export function createDatabase(
  url: string,
  options: {
    poolSize?: number;
    /** called with every statement's text before it is sent (tests count statements with it) */
    onQuery?: (query: string) => void;
  } = {},
): Database {
  tolerateTypeFetchFailures();
  const sql = postgres(url, {
    max: options.poolSize ?? 10,
    ...(options.onQuery ? { debug: (_: number, query: string) => options.onQuery!(query) } : {}),
    onnotice: () => {},
    // bigint offsets must survive the round trip exactly.
    types: { bigint: postgres.BigInt },
  });
  preparePerRequestQueries(sql);
  return drizzle(sql, { schema }) as Database;
}

export async function closeDatabase(db: Database): Promise<void> {
  await db.$client.end({ timeout: 5 });
}

/** Statements with at most this many parameters are prepared (see preparePerRequestQueries). */
export const PREPARE_MAX_PARAMETERS = 16;

/**
 * drizzle runs every query through postgres.js `unsafe(…, { prepare: false })`, and postgres.js sends an
 * unprepared query with parameters as two round trips (Describe, then Bind/Execute) and PostgreSQL parses
 * and plans it each time. Queries with few parameters are the fixed-shape ones a request runs (look-ups by
 * id, an insert of one row): prepared, they cost one round trip and are planned once per connection.
 * Batch statements vary in shape with their batch (IN lists, multi-row inserts); preparing them would grow
 * each connection's statement cache without bound, and their second round trip is shared by the batch.
 */
function preparePerRequestQueries(sql: postgres.Sql | postgres.TransactionSql): void {
  const unsafe = sql.unsafe.bind(sql);
  sql.unsafe = ((query: string, parameters?: unknown[], options?: { prepare?: boolean }) => {
    const n = parameters?.length ?? 0;
    // without parameters there is no Describe round trip, and DDL (migrations) cannot be prepared
    const prepare = Boolean(options?.prepare) || (n > 0 && n <= PREPARE_MAX_PARAMETERS);
    return unsafe(query, parameters as postgres.ParameterOrJSON<never>[], { ...options, prepare });
  }) as typeof sql.unsafe;
  // A transaction (drizzle's `db.transaction`, and its nested savepoints) runs on a reserved connection
  // through an sql object of its own, made per transaction: the same rule applies there.
  for (const method of ['begin', 'savepoint'] as const) {
    const scoped = (sql as unknown as Record<string, ((...args: unknown[]) => unknown) | undefined>)[method];
    if (!scoped) continue;
    (sql as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      const fn = args.pop() as (tx: postgres.TransactionSql) => unknown;
      return scoped.call(sql, ...args, (tx: postgres.TransactionSql) => {
        preparePerRequestQueries(tx);
        return fn(tx);
      });
    };
  }
}
