// Leaving is bounded. kafkajs' disconnect waits for the batch in hand and for its own fetch and rejoin
// loops, and a handler or a broker request that never settles would hold the invocation for ever: seen
// once in a soak seed, a notify invocation that went silent after a broker bounce and a database outage
// and was still there six minutes later, so no later invocation ran and its webhooks waited (its cause,
// a loop in kafkajs that never yields, is fixed in stopped-fetch.ts). Past the
// bound the invocation ends as a killed one does, which the protocol already survives: the next owner's
// fence aborts its open transaction and the coordinator expires its member after the session timeout.
//
// The bound's own timer needs the main thread to yield, and a promise loop that never does (kafkajs had
// one on this very path, stopped-fetch.ts) starves it. So a watchdog thread, which has its own event loop,
// holds the same bound plus a grace and kills the process when the main thread has not ended the shutdown.
import type { Admin, Consumer } from 'kafkajs';
import type { Logger } from '../telemetry/logger.ts';
import { armWatchdog } from '../util/watchdog.ts';
import { ENGINE_EVENTS } from './events.ts';

/** How long past the bound the watchdog waits for the main thread's own timer. */
export const WATCHDOG_GRACE_MS = 10_000;

/**
 * A session's shutdown: the consumer's disconnect() stops fetching, waits for the batch in hand (whose
 * transaction commits or fails as a whole) and leaves the group, so the partitions move at once instead
 * of after the session timeout; then the producers and the admin client close.
 */
export function leaveWithin(
  timeoutMs: number,
  s: { consumer: Consumer; delivery: { close(): Promise<void> }; admin: Admin },
  partitions: Map<number, { partition: number; drop(): Promise<void> }>,
  log?: Logger,
): Promise<boolean> {
  const first: Steps = { 'consumer disconnect': () => s.consumer.disconnect() };
  const then: Steps = { delivery: () => s.delivery.close(), admin: () => s.admin.disconnect() };
  for (const p of partitions.values()) then[`producer ${p.partition}`] = () => p.drop();
  return shutdownWithin(timeoutMs, [first, then], log);
}

/** Named steps of a shutdown, so that a stuck one can be told apart in the log. */
export type Steps = Record<string, () => Promise<unknown>>;

/**
 * Runs each group of steps in turn (the steps of one group together), within `timeoutMs` in all.
 * Resolves true when every step ended, false (after logging the steps still running) when the time ran
 * out; never rejects. If the main thread cannot even notice the time ran out, the watchdog kills the
 * process `graceMs` later.
 */
export async function shutdownWithin(
  timeoutMs: number,
  groups: Steps[],
  log?: Logger,
  graceMs = WATCHDOG_GRACE_MS,
): Promise<boolean> {
  const standDown = armWatchdog(
    timeoutMs + graceMs,
    {
      event: ENGINE_EVENTS.shutdownWatchdog,
      timeoutMs,
      msg: 'shutdown did not end and the main thread is not running its timers: killing the process',
    },
    log,
  );
  const pending = new Set<string>();
  const step = async (name: string, run: () => Promise<unknown>) => {
    pending.add(name);
    await run().catch((err) => log?.warn({ err, step: name }, `${name} failed while shutting down`));
    pending.delete(name);
  };
  const all = (async () => {
    for (const group of groups)
      await Promise.all(Object.entries(group).map(([name, run]) => step(name, run)));
    return true;
  })();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const ended = await Promise.race([all, late]).finally(() => {
    clearTimeout(timer);
    standDown();
  });
  if (!ended)
    log?.error(
      { event: ENGINE_EVENTS.shutdownTimedOut, pending: [...pending], timeoutMs },
      'shutdown did not end in time: leaving as a killed invocation would (the next owner fences)',
    );
  return ended;
}
