// Where the native stack keeps its downloads, data and logs, and which ports it listens on.
// Downloads (the Kafka jars) live in the cache; each stack has its own data directory and port range, so
// a second stack (the verifier, multi-broker tests) runs beside the one on 9092 without touching it:
//   STACK_CACHE_DIR   downloads (default .cache inside the project)
//   STACK_PORT_BASE   client port of broker 1 (default 9092); broker n listens on base+n-1, its
//                     controller on base+100+n-1
//   STACK_DIR         data, logs and state of this stack (default .cache/stack for 9092,
//                     .cache/stack-<base> for any other base)
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
export const cacheDir = process.env.STACK_CACHE_DIR || `${projectRoot}.cache`;
export const defaultPortBase = 9092;
export const portBase = parsePortBase(process.env.STACK_PORT_BASE);
export const stackDir =
  process.env.STACK_DIR ||
  (portBase === defaultPortBase ? `${cacheDir}/stack` : `${cacheDir}/stack-${portBase}`);
export const stateFile = `${stackDir}/state.json`;

export function parsePortBase(raw: string | undefined): number {
  if (raw === undefined || raw === '') return defaultPortBase;
  const n = Number(raw);
  // three client ports and three controller ports 100 above them must fit below 65536
  if (!Number.isInteger(n) || n < 1024 || n + 102 > 65535)
    throw new Error(`STACK_PORT_BASE must be an integer port between 1024 and 65433 (got ${raw})`);
  return n;
}
