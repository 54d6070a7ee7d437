// One rule for every consumer function: a database that is down or restarting says nothing about the
// records. The engine must wait it out (abort, keep the offsets, back off, end the invocation non-zero
// when the outage outlasts its budget), never isolate the records and send them to the DLQ.
import { isDatabaseUnavailable } from '../db/errors.ts';
import { DependencyUnavailableError } from '../kafka/errors.ts';
import type { BatchHandler } from '../kafka/types.ts';

/** The engine's DependencyUnavailableError when `err` says the database is unavailable, else `err`. */
export function asDependencyError(err: unknown): unknown {
  return isDatabaseUnavailable(err) ? new DependencyUnavailableError('database', { cause: err }) : err;
}

/** The handler, with the database's unavailability raised as the engine's DependencyUnavailableError. */
export function databaseOutageIsNotPoison(handle: BatchHandler): BatchHandler {
  return (batch) =>
    handle(batch).catch((err: unknown) => {
      throw asDependencyError(err);
    });
}
