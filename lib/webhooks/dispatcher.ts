// Attempts one leased delivery and records its outcome in PostgreSQL: delivered; failed for now and
// scheduled again (next_attempt_at, per the schedule and any Retry-After); failed for good (schedule
// exhausted, or the SSRF guard refused the address the name resolves to); or 410 Gone, which disables
// the endpoint and cancels what it still had pending. Nothing waits in memory for a later attempt: the
// delivery pump (pump.ts) sends it when it comes due.
import type { Database } from '../db/database.ts';
import { type ClaimedDelivery, recordAttempt, releaseDelivery, stopEndpoint } from '../db/webhooks.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Resolve } from './address-guard.ts';
import { webhookMetrics } from './metrics.ts';
import { nextDelayMs } from './schedule.ts';
import { sendWebhook } from './send.ts';
import { signDelivery, webhookId } from './signing.ts';

export interface DispatchOptions {
  db: Database;
  retrySchedule: number[];
  timeoutMs: number;
  allowPrivate: boolean;
  /** attempts in flight at once, all endpoints together */
  concurrency: number;
  /** attempts in flight at once to one endpoint (default 4): a slow one cannot take every slot */
  endpointConcurrency?: number;
  logger?: Logger;
  /** test seam: the DNS resolver of the SSRF guard */
  resolve?: Resolve;
}

export interface DispatchStats {
  delivered: number;
  retried: number;
  failed: number;
  gone: number;
  /** given up as the instance stopped; sent again by the next one */
  interrupted: number;
}

export const emptyStats = (): DispatchStats => ({
  delivered: 0,
  retried: 0,
  failed: 0,
  gone: 0,
  interrupted: 0,
});

/** An attempt's lease outlives its timeout, so a live attempt is never taken over. */
export const leaseMsFor = (timeoutMs: number) => timeoutMs + 15_000;

export const DEFAULT_ENDPOINT_CONCURRENCY = 16;

export async function attemptDelivery(
  o: DispatchOptions,
  d: ClaimedDelivery,
  keys: string[],
  stats: DispatchStats,
  signal?: AbortSignal,
): Promise<void> {
  const m = webhookMetrics();
  const startedAt = new Date();
  const outcome =
    keys.length === 0
      ? { kind: 'failed' as const, error: 'the endpoint has no live signing secret' }
      : await sendWebhook({
          url: d.url,
          body: d.payload,
          headers: { ...signDelivery(webhookId(d.id), d.payload, keys, startedAt) },
          timeoutMs: o.timeoutMs,
          allowPrivate: o.allowPrivate,
          resolve: o.resolve,
          signal,
        });
  if (outcome.kind === 'interrupted') {
    stats.interrupted += 1;
    await releaseDelivery(o.db, d.id);
    return;
  }
  m.attemptDuration.record(Date.now() - startedAt.getTime());
  if (outcome.kind === 'delivered') {
    stats.delivered += 1;
    m.attempts.add(1, { outcome: 'delivered' });
    await recordAttempt(o.db, d.id, { kind: 'delivered', status: outcome.status, startedAt });
    return;
  }
  if (outcome.kind === 'gone') {
    stats.gone += 1;
    m.attempts.add(1, { outcome: 'gone' });
    await recordAttempt(o.db, d.id, {
      kind: 'failed',
      status: 410,
      error: 'the endpoint answered 410 Gone',
      startedAt,
    });
    await stopEndpoint(o.db, d.endpointId, 'disabled', 'the endpoint answered 410 Gone');
    o.logger?.warn({ endpoint_id: d.endpointId }, 'webhook endpoint answered 410 Gone: disabled');
    return;
  }
  if (outcome.kind === 'refused') {
    // Every later attempt of this delivery would be refused the same way while the name points there,
    // so the schedule is not spent on it. Unlike a 410 the endpoint stays active: the refusal is ours,
    // about the name's current answer, which its owner can fix; then a redelivery by hand sends it.
    stats.failed += 1;
    m.attempts.add(1, { outcome: 'refused' });
    await recordAttempt(o.db, d.id, {
      kind: 'failed',
      error: `${outcome.error}; not retried (redeliver once the name resolves to a public address)`,
      startedAt,
    });
    o.logger?.warn(
      { delivery_id: d.id, endpoint_id: d.endpointId, error: outcome.error },
      'webhook destination refused by the SSRF guard: delivery failed, not retried',
    );
    return;
  }
  const delayMs = nextDelayMs(o.retrySchedule, d.attempts + 1, outcome.retryAfterMs);
  if (delayMs === null) {
    stats.failed += 1;
    m.attempts.add(1, { outcome: 'failed' });
    await recordAttempt(o.db, d.id, {
      kind: 'failed',
      status: outcome.status,
      error: outcome.error,
      startedAt,
    });
  } else {
    stats.retried += 1;
    m.attempts.add(1, { outcome: 'retry' });
    await recordAttempt(o.db, d.id, {
      kind: 'retry',
      status: outcome.status,
      error: outcome.error,
      delayMs,
      startedAt,
    });
  }
  o.logger?.debug(
    { delivery_id: d.id, attempt: d.attempts + 1, status: outcome.status, next_in_ms: delayMs },
    'webhook attempt failed',
  );
}
