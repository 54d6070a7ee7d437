// How the image runs a function (the Dockerfile's `ENV`), in one place for everything else that starts
// one — local runs, the benchmarks, the verifier — so that what is measured is what is deployed.
//
// Why a compile cache: Node 24 strips types with a WebAssembly build of swc (amaro), instantiated the
// first time a process strips a file; the instance costs ~20–30 MB of RSS for the process's whole life
// (evaluate's start-up, measured by hand: 141 MB, against 112 MB for the same modules compiled to
// JavaScript). Node's on-disk compile cache keeps the stripped source too, so a process whose every
// module is found there never instantiates it (115 MB) and starts faster. A stale or unreadable entry is compiled again.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * V8 sizes its heap from the machine's memory, not from what a function needs or its container allows.
 * A small young generation, and an old generation capped at 256 MB: V8 also grows the heap after each
 * full collection by a smaller factor when its limit is small, which is what holds a loaded
 * evaluator's RSS (its live heap stayed under ~70 MB, measured by hand: docs/performance.md). The cap is a backstop, not the bound: what one
 * invocation holds is bounded by design (batch size, fetch size, the document budget of
 * lib/jobs/text-budget.ts); docs/performance.md has the sums. Semi-spaces of 2 MB took ~15 MB off
 * an evaluator's peak but 10–30 % of submit's throughput in bench:submit (likely: 64 requests in flight
 * outlive a small young generation and are promoted): one setting serves every function.
 */
export const FUNCTION_NODE_OPTIONS = '--max-semi-space-size=8 --max-old-space-size=256';

/**
 * glibc's malloc, told to keep less of what was freed (ignored where the C library is not glibc).
 *
 * MALLOC_ARENA_MAX=1: glibc gives each thread that allocates its own arena (up to 8 per core), and a Node
 * process has a dozen threads (libuv's pool, V8's compiler and collector workers); memory freed in one
 * arena is not reused by another. One arena: bench:pipeline's 20,000-job drain peaked at 189 and 178 MB
 * per evaluate invocation against 215 and 206 MB (the V8 heap flat at ~75 MB all along, the RSS climbing
 * outside it: sampled by hand), at the same drain rate; submit's throughput in bench:submit did not drop.
 *
 * MALLOC_TRIM_THRESHOLD_ and MALLOC_MMAP_THRESHOLD_ at 128 KiB: by default glibc raises both as the
 * process frees large blocks (up to 32 MiB), so the zones V8's optimising compiler allocates and frees,
 * among others, stay in the process once freed. Fixed, blocks of 128 KiB and more are mapped and unmapped
 * on their own and free memory above that at the heap's top is given back. In a drain invocation
 * (smaps, sampled by hand) the malloc heap grew from ~15 to ~31 MB and the anonymous mappings outside the
 * V8 heap by ~30 MB. 20,000-job drains peaked at 182–195 MB per invocation in seven runs with these,
 * 189–207 MB in nine without, at the same rates: a few MB off the mean, more off the worst
 * (docs/performance.md).
 */
export const FUNCTION_MALLOC_ENV = {
  MALLOC_ARENA_MAX: '1',
  MALLOC_TRIM_THRESHOLD_: '131072',
  MALLOC_MMAP_THRESHOLD_: '131072',
} as const;

/** Where local runs keep Node's compile cache (the image keeps its own, filled when it is built). */
export const LOCAL_COMPILE_CACHE = `${ROOT}.cache/compile`;

export const FUNCTIONS = ['submit', 'evaluate', 'notify'] as const;

/** The environment a function runs with in the image; what the caller's environment sets wins. */
export function functionRuntimeEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return {
    NODE_OPTIONS: env.NODE_OPTIONS ?? FUNCTION_NODE_OPTIONS,
    NODE_COMPILE_CACHE: env.NODE_COMPILE_CACHE ?? LOCAL_COMPILE_CACHE,
    ...Object.fromEntries(
      Object.entries(FUNCTION_MALLOC_ENV).map(([name, value]) => [name, env[name] ?? value]),
    ),
  };
}

/**
 * Fills the compile cache as the image's build does: each entrypoint loads every module its function
 * imports statically, then its configuration check refuses `PORT=invalid` and it exits 78. Returns the
 * functions whose entrypoint did not get that far (a broken import, say).
 */
export function warmCompileCache(
  fns: readonly (typeof FUNCTIONS)[number][] = FUNCTIONS,
  dir = functionRuntimeEnv().NODE_COMPILE_CACHE,
): string[] {
  const env = { ...process.env, ...functionRuntimeEnv(), NODE_COMPILE_CACHE: dir, PORT: 'invalid' };
  return fns.filter(
    (fn) =>
      spawnSync(process.execPath, [`functions/${fn}/index.ts`], { cwd: ROOT, env, stdio: 'ignore' })
        .status !== 78,
  );
}
