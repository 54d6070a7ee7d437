// The retry schedule of the Standard Webhooks specification: attempt 1 immediately, then after 5 s,
// 5 min, 30 min, 2 h, 5 h, 10 h and 10 h; after the last one the delivery has failed. Configurable
// (WEBHOOK_RETRY_SCHEDULE) so tests and the verifier can compress it.

export const defaultRetrySchedule = '0,5s,5m,30m,2h,5h,10h,10h';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "0,5s,5m,2h" → delays in ms before each attempt; the first entry is the first attempt's delay. */
export function parseSchedule(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  const delays = parts.map((p) => {
    const m = /^(\d+)(ms|s|m|h)?$/.exec(p);
    if (!m) throw new Error(`"${p}" is not a duration like 0, 500ms, 5s, 5m or 2h`);
    return Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!;
  });
  if (delays.length === 0 || delays.length > 50) throw new Error('a schedule has 1 to 50 attempts');
  return delays;
}

/** Retry-After is capped: a receiver cannot park a delivery for longer than a day. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/**
 * Delay before the next attempt after `attemptsMade` failed ones, or null when the schedule is
 * exhausted. A Retry-After (429/503) postpones the attempt but never brings it forward.
 */
export function nextDelayMs(schedule: number[], attemptsMade: number, retryAfterMs?: number): number | null {
  if (attemptsMade >= schedule.length) return null;
  const scheduled = schedule[attemptsMade]!;
  if (retryAfterMs === undefined) return scheduled;
  return Math.max(scheduled, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
}

/** Retry-After is delay-seconds or an HTTP-date (RFC 9110 §10.2.3); anything else is ignored. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
