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
    // cannot answer at all. This startup parameter overrides a database's or role's statement_timeout
    // and `options=-c …`; only `?statement_timeout=…` in DATABASE_URL replaces it.
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
              ? bounded(made, timeoutMs, true)
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
 * time on this side. A statement past the bound rejects. One still queued for a connection leaves the
 * queue. One already sent is not cancelled from here (a CancelRequest stops whatever its connection runs
 * when it lands, which may by then be the next statement, and postgres.js drops the cancel's own failure
 * unhandled): the server ends it at the same bound (statement_timeout, createDatabase) when it can, and
 * one that cannot answer at all may apply it when it comes back, which every caller already treats as
 * an answer lost on the way (the job's lease, the stored outcome's replay).
 */
function bounded<Q extends object>(query: Q, ms: number, cancelQueued: boolean): Q {
  const pending = query as unknown as Promise<unknown>;
  const then = pending.then;
  let answer: Promise<unknown> | undefined;
  // postgres.js runs a query when it is first awaited (then); the bound starts there, once
  const boundedThen: Promise<unknown>['then'] = (onFulfilled, onRejected) => {
    answer ??= new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new DatabaseTimeoutError(ms, 'statement'));
        // still waiting for a connection (never sent): it leaves the pool's queue, no round trip involved,
        // so it cannot run after its caller was answered (a busy pool's queue counts toward the bound)
        const q = query as unknown as { state?: unknown; cancel(): unknown };
        if (cancelQueued && !q.state) q.cancel();
      }, ms);
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
function wrapQueries(
  sql: postgres.Sql | postgres.TransactionSql,
  timeoutMs: number,
  inTransaction = false,
): void {
  const unsafe = sql.unsafe.bind(sql);
  sql.unsafe = ((query: string, parameters?: unknown[], options?: { prepare?: boolean }) => {
    const n = parameters?.length ?? 0;
    // without parameters there is no Describe round trip, and DDL (migrations) cannot be prepared
    const prepare = Boolean(options?.prepare) || (n > 0 && n <= PREPARE_MAX_PARAMETERS);
    const pending = unsafe(query, parameters as postgres.ParameterOrJSON<never>[], { ...options, prepare });
    // postgres.js's own BEGIN (it passes onexecute) is bounded with its transaction, below: cut alone, its
    // late answer would leave the connection reserved, idle in a transaction nobody ends
    const own = Boolean((options as { onexecute?: unknown } | undefined)?.onexecute);
    // a transaction's statements queue on its own connection, not the pool's: not taken out of a queue
    return timeoutMs > 0 && !own ? bounded(pending, timeoutMs, !inTransaction) : pending;
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
          wrapQueries(tx, timeoutMs, true);
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
    wrapQueries(tx, timeoutMs, true);
    try {
      // as postgres.js does: an array of queries returned at once is awaited together; a result list
      // (an awaited query) is returned as it is, its count and command kept
      const result = fn(tx);
      return await (Array.isArray(result) ? Promise.all(result) : result);
    } finally {
      arm(); // COMMIT or ROLLBACK
    }
  });
  return Promise.race([run, late]).finally(() => clearTimeout(timer));
}
