// postgres.js (3.4) begins every new connection by fetching the database's array types, and starts that
// query without awaiting it. When the connection dies during it — a database outage, a restart — its
// promise rejects with nobody to handle it, and Node ends the process on an unhandled rejection: a
// short outage would crash submit, where it should answer 503. That rejection is harmless (the
// connection's own queries fail normally, and its next connection fetches the types again), so this one
// kind is tolerated; every other unhandled rejection still ends the process.

let tolerated = 0;
let installed = false;

/** The rejection of postgres.js' array-type query on a connection that died. */
export function isTypeFetchFailure(reason: unknown): boolean {
  const query = (reason as { query?: unknown } | null)?.query;
  return typeof query === 'string' && query.includes('pg_catalog.pg_type') && query.includes('typarray');
}

/** How many such rejections this process tolerated (for tests and diagnostics). */
export function toleratedTypeFetchFailures(): number {
  return tolerated;
}

export function tolerateTypeFetchFailures(): void {
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', (reason) => {
    if (isTypeFetchFailure(reason)) {
      tolerated += 1;
      return;
    }
    // what Node does with no listener: the rejection becomes an uncaught exception
    throw reason;
  });
}
