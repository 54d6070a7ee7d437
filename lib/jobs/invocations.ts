// How a function runs its invocations: one, as a job platform starts it, or with `--loop` back to back
// with a pause (the scheduler for compose and local use) until SIGTERM. The exit code is the last
// invocation's: 1 when a dependency stayed away longer than its budget, so a job platform runs the
// invocation again instead of waiting for the next schedule.
import { setTimeout as pause } from 'node:timers/promises';
import type { StopReason } from '../kafka/types.ts';
import type { Logger } from '../telemetry/logger.ts';
import { telemetryMetrics } from '../telemetry/metrics.ts';

export interface InvocationsOptions {
  loop: boolean;
  pauseMs: number;
  signal: AbortSignal;
  /** one invocation; resolves with its session's stop reason, or undefined when it stopped before one */
  invoke: (n: number) => Promise<StopReason | undefined>;
  /** under --loop, an invocation that threw: told here, and the next one runs after the pause */
  onFailure?: (err: unknown, n: number) => void;
}

export async function runInvocations(o: InvocationsOptions): Promise<number> {
  // the first invocation runs even when SIGTERM came during start-up: its sweeps stop at once
  for (let n = 1; ; n++) {
    let stopReason: StopReason | undefined | 'failed';
    try {
      stopReason = await o.invoke(n);
    } catch (err) {
      // one invocation on its own is the platform's to run again (exit 1); --loop is that platform
      if (!o.loop || o.signal.aborted) throw err;
      o.onFailure?.(err, n);
      stopReason = 'failed';
    }
    if (stopReason === undefined) return 0;
    if (!o.loop || o.signal.aborted) return stopReason === 'dependency-unavailable' ? 1 : 0;
    // under --loop the next invocation is the retry; a SIGTERM from here on ends the loop with 0
    // (the pause ends early: the abort rejects it)
    await pause(o.pauseMs, undefined, { signal: o.signal }).catch(() => {});
    if (o.signal.aborted) return 0;
  }
}

export interface FinishedInvocation {
  function: 'evaluate' | 'notify';
  n: number;
  /** Date.now() when the invocation started */
  started: number;
  stopReason: StopReason;
  /** nothing read and nothing swept or sent */
  idle: boolean;
  /** what the function reports of its invocation, beside its number, duration and peak RSS */
  details: Record<string, unknown>;
}

/**
 * Logs an invocation's end and records its duration. Idle invocations repeat every few seconds under
 * --loop, so they log at debug.
 */
export function invocationFinished(logger: Logger, i: FinishedInvocation): void {
  const totalMs = Date.now() - i.started;
  logger[i.idle ? 'debug' : 'info'](
    {
      invocation: {
        n: i.n,
        ...i.details,
        totalMs,
        maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      },
    },
    'invocation finished',
  );
  telemetryMetrics().invocationDuration.record(totalMs, { stop_reason: i.stopReason, function: i.function });
}
