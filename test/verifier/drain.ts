// Stage 5: the drain. Waits until every accepted job is terminal (or the drain budget is spent), then
// stops every process. Its queries go through the outage proxy like everyone else's and retry.
import postgres from 'postgres';
import { log, retrying, sleep } from './options.ts';
import type { Fleet } from './processes.ts';

export async function drain(o: {
  dbUrl: string;
  acceptedIds: () => string[];
  since: number;
  timeoutMs: number;
  fleet: Fleet;
  /** what must also be finished before the processes stop (the webhook deliveries) */
  settle?: (deadline: number) => Promise<void>;
}): Promise<{ notTerminal: number }> {
  const sql = postgres(o.dbUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  let notTerminal = 0;
  try {
    for (;;) {
      const ids = o.acceptedIds();
      const done = await retrying('counting terminal jobs', async () => {
        const [row] =
          await sql`select count(*)::int as n from jobs where id = any(${ids}::uuid[]) and status in ('completed', 'failed')`;
        return row!.n as number;
      });
      notTerminal = ids.length - done;
      if (notTerminal <= 0) break;
      if (Date.now() - o.since > o.timeoutMs) {
        log(`drain timed out with ${notTerminal} jobs not terminal`);
        break;
      }
      log(`terminal ${done}/${ids.length}`);
      await sleep(2000);
    }
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
  await o.settle?.(o.since + o.timeoutMs);
  await o.fleet.stopAll();
  return { notTerminal: Math.max(0, notTerminal) };
}
