// A timer that fires even when the main thread never yields: a worker thread has its own event loop. It
// writes one log line (fatal) and kills the process with SIGKILL: for a shutdown whose own timer, on the
// main thread, cannot run because a promise loop starves it.
import { Worker } from 'node:worker_threads';
import type { Logger } from '../telemetry/logger.ts';

// Runs in the watchdog thread: plain JavaScript, as the source of an eval'd worker must be, that reads as
// a script and as a module alike (the thread inherits flags such as --input-type).
const WATCHDOG_SOURCE = `
const { workerData } = process.getBuiltinModule('node:worker_threads');
const { writeSync } = process.getBuiltinModule('node:fs');
setTimeout(() => {
  const line = { level: 60, time: new Date().toISOString(), pid: process.pid, ...workerData.fields };
  try {
    writeSync(1, JSON.stringify(line) + '\\n');
  } finally {
    process.kill(process.pid, 'SIGKILL'); // whether or not the log could be written
  }
}, workerData.ms);
`;

/**
 * Starts the watchdog thread: `fields` (with `msg`) is the line it logs before the kill, `ms` from now.
 * The returned function stands it down. It never keeps the process alive, and a watchdog that cannot
 * start or fails only logs a warning: what it guards is then bounded by its own timer alone.
 */
export function armWatchdog(ms: number, fields: Record<string, unknown> & { msg: string }, log?: Logger) {
  try {
    const worker = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { ms, fields } });
    // unhandled, a worker's error would end this process
    worker.on('error', (err) => log?.warn({ err }, 'the shutdown watchdog failed'));
    worker.unref();
    return () => void worker.terminate();
  } catch (err) {
    log?.warn({ err }, 'the shutdown watchdog could not start');
    return () => {};
  }
}
