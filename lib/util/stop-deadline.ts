// A function stopped by its platform (SIGTERM) has a grace period of its own before the SIGKILL: Cloud
// Run gives 10 s, Kubernetes the pod's terminationGracePeriodSeconds (its preStop pause included), compose
// stop_grace_period. An orderly stop waits on its dependencies (requests in flight, a transaction's
// commit, leaving the consumer group, closing the pool, flushing telemetry), and a dependency that stops
// answering without closing its connections (a hung broker, a partitioned network) holds each of those
// for its client's own timeouts: with the broker stopped (SIGSTOP, by hand), submit took 30 s to exit
// and an idle evaluate invocation 59 s. So the stop has one deadline, SHUTDOWN_TIMEOUT_MS from the
// signal. Past it the process exits as a killed one would (exit 1), which the protocol survives: an
// accepted job is in PostgreSQL and the sweeper publishes it, an open transaction is aborted by the
// next owner's fence, a group member expires after its session timeout. The log line says which step it was still waiting on.
import type { Logger } from '../telemetry/logger.ts';
import { armWatchdog } from './watchdog.ts';

export const STOP_EVENTS = {
  deadline: 'shutdown.deadline',
  watchdog: 'shutdown.watchdog',
} as const;

/** How long past the deadline the watchdog thread waits for the main thread's own timer. */
const WATCHDOG_GRACE_MS = 1_000;

export interface StopDeadline {
  /** names the step the stop is waiting on now (the log line of a missed deadline names it) */
  step(name: string): void;
  /** the stop ended in time: the process may exit on its own */
  disarm(): void;
}

/** Arms the deadline of a stop that begins now; exits the process with 1 when it passes. */
export function stopDeadline(timeoutMs: number, log?: Logger): StopDeadline {
  let current = 'stopping';
  const timer = setTimeout(() => {
    log?.error(
      { event: STOP_EVENTS.deadline, timeoutMs, step: current },
      `did not stop within SHUTDOWN_TIMEOUT_MS (${timeoutMs} ms), still waiting on ${current}: exiting as a killed process would`,
    );
    process.exit(1);
  }, timeoutMs);
  // the deadline never keeps a process alive that has nothing else left to do
  timer.unref();
  // a main thread that never yields cannot run the timer above
  const standDown = armWatchdog(
    timeoutMs + WATCHDOG_GRACE_MS,
    {
      event: STOP_EVENTS.watchdog,
      timeoutMs,
      msg: 'the stop did not end and the main thread is not running its timers: killing the process',
    },
    log,
  );
  return {
    step(name) {
      current = name;
    },
    disarm() {
      clearTimeout(timer);
      standDown();
    },
  };
}

/**
 * SIGTERM and SIGINT begin the stop: logged, the deadline armed, then `stop(signal)`. A later signal
 * changes nothing: a terminal's Ctrl-C reaches a whole process group while a parent (npm start, the
 * verifier) forwards its own SIGTERM, and the deadline already bounds the stop. The returned handle
 * names steps and disarms; before any signal it only remembers the step.
 */
export function stopOnSignals(o: {
  timeoutMs: number;
  log?: Logger;
  message: string;
  stop: (signal: NodeJS.Signals) => void;
}): StopDeadline {
  let deadline: StopDeadline | undefined;
  let current = 'stopping';
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (deadline) {
        o.log?.debug({ signal, step: current }, `${signal} while stopping: already stopping`);
        return;
      }
      o.log?.info({ signal, timeoutMs: o.timeoutMs }, o.message);
      deadline = stopDeadline(o.timeoutMs, o.log);
      deadline.step(current);
      o.stop(signal);
    });
  }
  return {
    step(name) {
      current = name;
      deadline?.step(name);
    },
    disarm() {
      deadline?.disarm();
    },
  };
}
