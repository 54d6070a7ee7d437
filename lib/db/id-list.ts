// `column = any($1::uuid[])` instead of `column in ($1, …, $n)`: one parameter whatever the list's
// length, so a batch statement has one shape, is prepared once per connection (lib/db/database.ts) and
// costs one round trip instead of Describe + Execute.
import { type AnyColumn, type SQL, sql } from 'drizzle-orm';

export function idIn(column: AnyColumn, ids: string[]): SQL {
  return sql`${column} = any(${sql.param(ids)}::uuid[])`;
}
