// Which database errors mean "the database is unavailable right now" (retry later; nothing is wrong
// with the request or the record) as opposed to an error about this very statement or row.
//
// postgres.js raises network errors with Node's codes and its own CONNECTION_* codes, server errors
// with their SQLSTATE in `code`; drizzle wraps both (the original is the `cause`).

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'DATABASE_TIMEOUT', // no answer within DATABASE_QUERY_TIMEOUT_MS (lib/db/database.ts)
]);

const SQLSTATES = new Set([
  '57P01', // admin_shutdown: the server is restarting
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or in recovery
  '57014', // query_canceled: statement timeout
  '25006', // read_only_sql_transaction: a failover left us on a replica
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

/** SQLSTATE classes: 08 connection exception, 53 insufficient resources, 58 system error. */
const SQLSTATE_CLASSES = ['08', '53', '58'];

export function isDatabaseUnavailable(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; current && typeof current === 'object' && depth < 8; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (NETWORK_CODES.has(code) || SQLSTATES.has(code)) return true;
      if (/^[0-9A-Z]{5}$/.test(code) && SQLSTATE_CLASSES.includes(code.slice(0, 2))) return true;
    }
    if (current instanceof AggregateError && current.errors.some(isDatabaseUnavailable)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
