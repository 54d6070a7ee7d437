// Where the native stack keeps its downloads, data and logs: a cache inside the project (gitignored).
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
export const cacheDir = process.env.STACK_CACHE_DIR ?? `${projectRoot}.cache`;
export const stackDir = `${cacheDir}/stack`;
export const stateFile = `${stackDir}/state.json`;
