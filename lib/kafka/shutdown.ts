// Leaving is bounded. kafkajs' disconnect waits for the batch in hand and for its own fetch and rejoin
// loops, and a handler or a broker request that never settles would hold the invocation for ever: seen
// once in a soak seed, a notify invocation that went silent after a broker bounce and a database outage
// and was still there six minutes later, so no later invocation ran and its webhooks waited. Past the
// bound the invocation ends as a killed one does, which the protocol already survives: the next owner's
// fence aborts its open transaction and the coordinator expires its member after the session timeout.
import type { Logger } from '../telemetry/logger.ts';
import { ENGINE_EVENTS } from './events.ts';

/** Named steps of a shutdown, so that a stuck one can be told apart in the log. */
export type Steps = Record<string, () => Promise<unknown>>;

/**
 * Runs each group of steps in turn (the steps of one group together), within `timeoutMs` in all.
 * Resolves true when every step ended, false (after logging the steps still running) when the time ran
 * out; never rejects.
 */
export async function shutdownWithin(timeoutMs: number, groups: Steps[], log?: Logger): Promise<boolean> {
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
  const ended = await Promise.race([all, late]).finally(() => clearTimeout(timer));
  if (!ended)
    log?.error(
      { event: ENGINE_EVENTS.shutdownTimedOut, pending: [...pending], timeoutMs },
      'shutdown did not end in time: leaving as a killed invocation would (the next owner fences)',
    );
  return ended;
}
