// What a verifier run is asked to do; shared by every stage of the run.
import type { DeliveryMode } from '../../lib/kafka/types.ts';

export const webhookControls = ['wrong-secret', 'lose-deliveries', 'reenable-gone'] as const;
export type WebhookControl = (typeof webhookControls)[number];

export interface VerifyOptions {
  jobs: number;
  evaluators: number;
  submits: number;
  brokers: 1 | 3;
  killEvaluators: number;
  stopEvaluators: number;
  pauseEvaluators: number;
  killSubmit: number;
  bounceBrokers: number;
  /** PostgreSQL cut off from every function (and the verifier) for dbOutageMs, this many times */
  dbOutages: number;
  dbOutageMs: number;
  /** partitions added to the jobs topic mid-run, this many times (4 each) */
  addPartitions: number;
  /** the evaluate group's committed offsets deleted mid-run, this many times */
  deleteOffsets: number;
  /** the results topic's max.message.bytes lowered so batches no longer fit one transaction (0 or 1) */
  oversizeResults: number;
  /** a second submit process started with the same INSTANCE_ID as a running one, this many times */
  twinSubmits: number;
  /** malformed records written straight to the jobs topic */
  poison: number;
  /** jobs whose provider calls always fail: they must give up, failed, with exactly one DLQ record */
  doomed: number;
  seed: number;
  unsafe?: DeliveryMode;
  concurrency: number;
  /** simulated provider latency per call (ms) */
  providerDelayMs: number;
  /** 'metered': the verifier's own OpenAI-compatible server, which counts every call (default);
   *  'offline': the built-in offline provider (no count) */
  provider: 'metered' | 'offline';
  drainTimeoutMs: number;
  /** the verifier's webhook receiver and notify invocations (G7); the faults below need it */
  webhooks: boolean;
  notifiers: number;
  /** SIGKILL of a notify invocation, this many times */
  killNotifiers: number;
  /** the receiver refuses connections for receiverOutageMs, this many times */
  receiverOutages: number;
  receiverOutageMs: number;
  /** the main endpoint answers 429 with Retry-After for 3 s, this many times */
  receiver429s: number;
  /** the second endpoint starts answering 410 (0 or 1): it must then be disabled and get nothing more */
  receiverGone: number;
  /** negative controls of G7: the receiver verifies with a wrong secret, forgets every 25th job it
   *  acknowledged, or the disabled endpoint is switched back on (as if a 410 did not stick) */
  webhookControl?: WebhookControl;
  /** keep the run's database and topics for inspection */
  keep?: boolean;
}

export const log = (m: string) =>
  process.stderr.write(`[verify ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The verifier's own queries and admin calls: they must outlive every fault it injects. */
export async function retrying<T>(what: string, fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      if (attempt === 0 || attempt % 10 === 0)
        log(`${what} failed (${err instanceof Error ? err.message : String(err)}); retrying`);
      await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 4)));
    }
  }
}

export function countKinds(kinds: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of kinds) out[k] = (out[k] ?? 0) + 1;
  return out;
}
