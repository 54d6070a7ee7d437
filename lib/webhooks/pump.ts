// The delivery pump: sends due deliveries for as long as a notify invocation runs, beside the consuming
// session rather than inside its batches, so no batch (and no other client's delivery) waits on a slow
// endpoint's timeout. It leases only what it can start at once: at most `concurrency` attempts in
// flight, at most `endpointConcurrency` to one endpoint, so a hanging endpoint holds its own slots and no
// others. A lease is taken just before its attempt, so a delivery waiting for a slot stays unleased and
// any instance may send it. New results wake it; a poll picks up retries as they come due. Delivery state
// stays in PostgreSQL: a pump that stops (or crashes) leaves nothing that the next one cannot find.
import { setTimeout as sleep } from 'node:timers/promises';
import { claimDue, liveSecrets } from '../db/webhooks.ts';
import {
  attemptDelivery,
  DEFAULT_ENDPOINT_CONCURRENCY,
  type DispatchOptions,
  type DispatchStats,
  emptyStats,
  leaseMsFor,
} from './dispatcher.ts';
import { webhookMetrics } from './metrics.ts';

export interface PumpOptions {
  /** how often due deliveries are looked for when nothing wakes the pump (retries coming due) */
  pollMs?: number;
  /** stops claiming; attempts in flight may finish for `interruptAfterMs`, then are given up */
  signal?: AbortSignal;
  /**
   * How long attempts in flight may still finish once `signal` stops the pump (default 2 s). An endpoint's
   * timeout (15 s) outlasts a platform's stop budget (10 s on most); an attempt still waiting then is given
   * up and its lease given back, so the next instance sends it at once, with the same webhook-id.
   */
  interruptAfterMs?: number;
}

export interface DeliveryPump {
  readonly stats: DispatchStats;
  /** look for due deliveries now (new ones were created) */
  wake(): void;
  /** result records' timestamps, for the first-attempt delay of the deliveries they create */
  noteResults(partition: number, records: { offset: string; timestamp: number }[]): void;
  /**
   * Keeps sending until nothing is due or in flight, or `maxMs` passes; then claims no more and waits
   * for the attempts in flight (each bounded by the timeout).
   */
  drain(maxMs: number): Promise<DispatchStats>;
}

/** how long an attempt's ending waits for others to share its claim */
const COALESCE_MS = 3;

/** source timestamps kept for the metric at most; a delivery another instance sends never reads its own */
const MAX_NOTED = 10_000;

export function startDeliveryPump(o: DispatchOptions, p: PumpOptions = {}): DeliveryPump {
  const stats = emptyStats();
  const perEndpoint = o.endpointConcurrency ?? DEFAULT_ENDPOINT_CONCURRENCY;
  const pollMs = p.pollMs ?? 1_000;
  const inflight = new Map<string, number>();
  const running = new Set<Promise<void>>();
  const noted = new Map<string, number>();
  let stopped = false;
  let filling: Promise<void> | undefined;
  let again = false;
  const interrupt = new AbortController();
  const onStop = () => setTimeout(() => interrupt.abort(), p.interruptAfterMs ?? 2_000).unref();
  // removed when the pump has drained: a --loop process makes a pump per invocation on the same signal
  p.signal?.addEventListener('abort', onStop, { once: true });

  const launch = (d: Awaited<ReturnType<typeof claimDue>>[number], keys: string[]) => {
    inflight.set(d.endpointId, (inflight.get(d.endpointId) ?? 0) + 1);
    const source = `${d.sourcePartition}:${d.sourceOffset}`;
    const at = noted.get(source);
    if (at !== undefined && d.attempts === 0) {
      webhookMetrics().firstAttemptDelay.record(Math.max(0, Date.now() - at));
      noted.delete(source);
    }
    const run = attemptDelivery(o, d, keys, stats, interrupt.signal)
      .catch((err) => {
        // the outcome was not recorded (the database is away): the lease expires and the attempt is
        // made again, with the same webhook-id
        o.logger?.warn(
          { err, delivery_id: d.id },
          'webhook attempt not recorded; it is retried after its lease',
        );
      })
      .finally(() => {
        const n = (inflight.get(d.endpointId) ?? 1) - 1;
        if (n === 0) inflight.delete(d.endpointId);
        else inflight.set(d.endpointId, n);
        running.delete(run);
        wakeSoon();
      });
    running.add(run);
  };

  const claimNote = { at: 0, failed: 0 };
  const fill = async () => {
    do {
      again = false;
      while (!stopped && !p.signal?.aborted) {
        const free = o.concurrency - running.size;
        if (free <= 0) break;
        try {
          const page = await claimDue(o.db, {
            limit: free,
            perEndpoint,
            busy: inflight,
            leaseMs: leaseMsFor(o.timeoutMs),
          });
          if (page.length === 0) break;
          const secrets = await liveSecrets(o.db, [...new Set(page.map((d) => d.endpointId))]);
          for (const d of page) launch(d, secrets.get(d.endpointId) ?? []);
          if (page.length < free) break; // all that is claimable now is in flight
        } catch (err) {
          // what was leased and not started is sent after its lease; the poll tries again
          // polled every second: while the database is away, one line every 30 s says so
          if (Date.now() - claimNote.at >= 30_000) {
            o.logger?.warn(
              { err, failedSinceLastNote: claimNote.failed },
              'due deliveries could not be claimed; trying again',
            );
            claimNote.at = Date.now();
            claimNote.failed = 0;
          } else claimNote.failed += 1;
          return;
        }
      }
    } while (again && !stopped && !p.signal?.aborted);
  };

  // Attempts end one by one; a claim per ending (one delivery each, a scan of the due rows each) was most
  // of the database's work under load: endings a few milliseconds apart share one claim.
  let soon: NodeJS.Timeout | undefined;
  function wakeSoon() {
    soon ??= setTimeout(() => {
      soon = undefined;
      wake();
    }, COALESCE_MS);
  }

  function wake() {
    if (filling) {
      again = true;
      return;
    }
    filling = fill().finally(() => {
      filling = undefined;
      // a wake that came after fill's last look at `again` (its ending runs a microtask later) would
      // otherwise wait for the next poll, a second away
      if (again && !stopped && !p.signal?.aborted) wake();
    });
  }

  const timer = setInterval(wake, pollMs);
  timer.unref();
  wake();

  return {
    stats,
    wake,
    noteResults(partition, records) {
      for (const r of records) {
        if (noted.size >= MAX_NOTED) noted.delete(noted.keys().next().value!);
        noted.set(`${partition}:${r.offset}`, r.timestamp);
      }
    },
    async drain(maxMs) {
      const deadline = Date.now() + maxMs;
      while (Date.now() < deadline && !p.signal?.aborted) {
        wake();
        await filling;
        // nothing in flight right after a claim with every slot free: nothing is due
        if (running.size === 0) break;
        await Promise.race([...running, sleep(Math.max(1, Math.min(pollMs, deadline - Date.now())))]);
      }
      stopped = true;
      clearInterval(timer);
      clearTimeout(soon);
      await filling;
      await Promise.all([...running]);
      p.signal?.removeEventListener('abort', onStop);
      return stats;
    },
  };
}

/**
 * Delivers what is due (retries whose time came, redeliveries by hand, attempts a crashed instance
 * left) until nothing is due or the time budget is spent.
 */
export function sweepDueDeliveries(
  o: DispatchOptions,
  budget: { maxMs: number; signal?: AbortSignal },
): Promise<DispatchStats> {
  return startDeliveryPump(o, { signal: budget.signal }).drain(budget.maxMs);
}
