// Keeping a member alive while it works: kafkajs heartbeats only between batches, and an LLM-backed
// handler or a retry back-off can outlast the session timeout.
import type { EachBatchPayload } from 'kafkajs';

export async function withHeartbeat<T>(
  payload: EachBatchPayload,
  intervalMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  const beat = setInterval(() => {
    payload.heartbeat().catch(() => {
      /* a rebalance: kafkajs rejoins after this batch; the new generation re-fences */
    });
  }, intervalMs);
  try {
    return await fn();
  } finally {
    clearInterval(beat);
  }
}

/** Sleeps `ms`, heartbeating, and returns early once `stop()` says so. */
export async function sleepWithHeartbeat(
  payload: EachBatchPayload,
  ms: number,
  intervalMs: number,
  stop: () => boolean,
): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until && !stop()) {
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, until - Date.now())));
    await payload.heartbeat().catch(() => {});
  }
}
