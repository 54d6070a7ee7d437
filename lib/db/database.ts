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
    /** most time a statement, or a transaction, may wait for PostgreSQL's answer (0: no bound) */
    queryTimeoutMs?: number;
  } = {},
): Database {
  tolerateTypeFetchFailures();
  const timeoutMs = options.queryTimeoutMs ?? 0;
  const sql = postgres(url, {
    max: options.poolSize ?? 10,
    // The server ends a statement at the same bound (57014, an outage to every caller): one stuck behind
    // a lock, or slow, no longer holds its connection and its locks past the caller's wait, nor commits
    // after the caller was answered. The client's own bound (bounded(), below) covers a server that
    // cannot answer at all. A statement_timeout in DATABASE_URL's query string still wins.
    ...(timeoutMs > 0 ? { connection: { statement_timeout: timeoutMs } } : {}),
    ...(options.onQuery ? { debug: (_: number, query: string) => options.onQuery!(query) } : {}),
    onnotice: () => {},
    // bigint offsets must survive the round trip exactly.
    types: { bigint: postgres.BigInt },
  });
  wrapQueries(sql, timeoutMs);
  // drizzle's queries go through unsafe() and begin(), bounded above; the tagged template (`db.$client`)
  // is bounded here. A fragment (a query nested in another) is never awaited, so never started or timed.
  const client =
    timeoutMs > 0
      ? new Proxy(sql, {
          apply(target, self, args) {
            const made = Reflect.apply(target, self, args) as unknown;
            return made instanceof Promise && typeof (made as { cancel?: unknown }).cancel === 'function'
              ? bounded(made, timeoutMs)
              : made;
          },
        })
      : sql;
  return drizzle(client, { schema }) as Database;
}

/**
 * PostgreSQL did not answer a statement (or a transaction) within DATABASE_QUERY_TIMEOUT_MS. Counted as
 * the database being unavailable (lib/db/errors.ts): the request answers 503, the consumer waits it out.
 */
export class DatabaseTimeoutError extends Error {
  readonly code = 'DATABASE_TIMEOUT';
  constructor(ms: number, what: 'statement' | 'transaction') {
    super(`PostgreSQL did not answer the ${what} within ${ms} ms`);
    this.name = 'DatabaseTimeoutError';
  }
}

/**
 * A server that stops answering without closing its connections (a hung host, a partitioned network, a
 * paused container) leaves a postgres.js query waiting for ever: PostgreSQL's own statement_timeout runs
 * on that very server, and TCP keepalive is answered by its kernel. So the answer is awaited for a bounded
 * time on this side. A statement past the bound rejects; it is not cancelled (a CancelRequest stops
 * whatever its connection runs when it lands, which may by then be the next statement, and postgres.js
 * drops the cancel's own failure unhandled), so it keeps its connection until the server answers, and
 * what it did may still commit: every caller already treats that as an answer lost on the way (the
 * job's lease, the stored outcome's replay).
 */
function bounded<Q extends object>(query: Q, ms: number): Q {
  const pending = query as unknown as Promise<unknown>;
  const then = pending.then;
  let answer: Promise<unknown> | undefined;
  // postgres.js runs a query when it is first awaited (then); the bound starts there, once
  const boundedThen: Promise<unknown>['then'] = (onFulfilled, onRejected) => {
    answer ??= new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new DatabaseTimeoutError(ms, 'statement')), ms);
      then.call(
        pending,
        (rows) => {
          clearTimeout(timer);
          resolve(rows);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
    return answer.then(onFulfilled, onRejected);
  };
  // defined on the query itself: it stays a postgres.js query (values(), raw()), awaited with a bound
  Object.defineProperty(query, 'then', { value: boundedThen, configurable: true, writable: true });
  return query;
}

export async function closeDatabase(db: Database): Promise<void> {
  await db.$client.end({ timeout: 5 });
}

/** Statements with at most this many parameters are prepared (see wrapQueries). */
export const PREPARE_MAX_PARAMETERS = 16;

/**
 * Every statement a pool runs is bounded by `timeoutMs` (bounded() above), and prepared where that pays:
 * drizzle runs every query through postgres.js `unsafe(…, { prepare: false })`, and postgres.js sends an
 * unprepared query with parameters as two round trips (Describe, then Bind/Execute) and PostgreSQL parses
 * and plans it each time. Queries with few parameters are the fixed-shape ones a request runs (look-ups by
 * id, an insert of one row): prepared, they cost one round trip and are planned once per connection.
 * Batch statements vary in shape with their batch (IN lists, multi-row inserts); preparing them would grow
 * each connection's statement cache without bound, and their second round trip is shared by the batch.
 */
function wrapQueries(sql: postgres.Sql | postgres.TransactionSql, timeoutMs: number): void {
  const unsafe = sql.unsafe.bind(sql);
  sql.unsafe = ((query: string, parameters?: unknown[], options?: { prepare?: boolean }) => {
    const n = parameters?.length ?? 0;
    // without parameters there is no Describe round trip, and DDL (migrations) cannot be prepared
    const prepare = Boolean(options?.prepare) || (n > 0 && n <= PREPARE_MAX_PARAMETERS);
    const pending = unsafe(query, parameters as postgres.ParameterOrJSON<never>[], { ...options, prepare });
    // postgres.js's own BEGIN (it passes onexecute) is bounded with its transaction, below: cut alone, its
    // late answer would leave the connection reserved, idle in a transaction nobody ends
    const own = Boolean((options as { onexecute?: unknown } | undefined)?.onexecute);
    return timeoutMs > 0 && !own ? bounded(pending, timeoutMs) : pending;
  }) as typeof sql.unsafe;
  // A transaction (drizzle's `db.transaction`, and its nested savepoints) runs on a reserved connection
  // through an sql object of its own, made per transaction: the same rules apply there.
  for (const method of ['begin', 'savepoint'] as const) {
    const scoped = (sql as unknown as Record<string, ((...args: unknown[]) => unknown) | undefined>)[method];
    if (!scoped) continue;
    (sql as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      const fn = args.pop() as (tx: postgres.TransactionSql) => unknown;
      if (!(timeoutMs > 0 && method === 'begin')) {
        return scoped.call(sql, ...args, (tx: postgres.TransactionSql) => {
          wrapQueries(tx, timeoutMs);
          return fn(tx);
        });
      }
      return boundedTransaction((body) => scoped.call(sql, ...args, body), fn, timeoutMs);
    };
  }
}

/**
 * A transaction's own statements are bounded one by one (its sql object is wrapped like the pool's);
 * BEGIN, and COMMIT or ROLLBACK, have a bound each: without an answer to one of them the caller gets
 * DatabaseTimeoutError. A body whose BEGIN was answered too late does not run (it throws, and
 * postgres.js rolls back), so a caller told "timed out" before its body ran never sees it commit later.
 * A COMMIT that times out may still land, as an answer lost on the way does.
 */
function boundedTransaction(
  begin: (body: (tx: postgres.TransactionSql) => Promise<unknown>) => unknown,
  fn: (tx: postgres.TransactionSql) => unknown,
  timeoutMs: number,
): Promise<unknown> {
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  let fail: (err: Error) => void = () => {};
  const late = new Promise<never>((_, reject) => {
    fail = reject;
  });
  const arm = () => {
    timer = setTimeout(() => {
      timedOut = true;
      fail(new DatabaseTimeoutError(timeoutMs, 'transaction'));
    }, timeoutMs);
  };
  arm(); // BEGIN
  const run = begin(async (tx) => {
    clearTimeout(timer);
    if (timedOut) throw new DatabaseTimeoutError(timeoutMs, 'transaction');
    wrapQueries(tx, timeoutMs);
    try {
      const result = await fn(tx);
      return Array.isArray(result) ? await Promise.all(result) : result;
    } finally {
      arm(); // COMMIT or ROLLBACK
    }
  });
  return Promise.race([run, late]).finally(() => clearTimeout(timer));
}
