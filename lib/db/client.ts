// The database handle: postgres.js underneath, drizzle on top. One pool per process.
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema.ts';

export type Database = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql };

export function createDatabase(url: string, options: { poolSize?: number } = {}): Database {
  const sql = postgres(url, {
    max: options.poolSize ?? 10,
    onnotice: () => {},
    // bigint offsets must survive the round trip exactly.
    types: { bigint: postgres.BigInt },
    // postgres.js reads the array types on each new connection with a query whose failure nothing
    // catches: a connection lost at that moment (a database restarting) became an unhandled rejection
    // that ends the process. No column here is an array of a custom type, so the lookup is not needed.
    fetch_types: false,
  });
  return drizzle(sql, { schema }) as Database;
}

export async function closeDatabase(db: Database): Promise<void> {
  await db.$client.end({ timeout: 5 });
}
