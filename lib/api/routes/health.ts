// Liveness (the process answers) and readiness (its database and broker answer), without auth.
import { withTimeout } from '../../util/timeout.ts';
import type { ApiDeps } from '../context.ts';
import { router } from '../context.ts';

/**
 * A probe must answer within its own timeout (the Kubernetes manifests give it 3 s): a dependency that
 * hangs, nothing answered and nothing closed, is "not ready" after this long rather than after its
 * client's own timeout (30 s for a Kafka request). The checks run side by side.
 *
 * A check is shared: a probe that finds one of the same dependency under way, started less than a bound
 * ago, waits for it (within its own bound) instead of starting another. /readyz takes no credentials, so
 * without this its callers decided how many queries and broker requests were in flight: every probe of a
 * hung broker left one more behind for its client's whole timeout, and a flood of probes was a flood on
 * the database. Now, per dependency, a flood of probes shares one check at a time, and a hung dependency
 * collects at most one check per bound. A check stuck longer than the bound does not keep later probes
 * from trying afresh; a probe that joined a slow check late may see it answer after the check's first
 * probe was told "not ready" (the dependency answered within this probe's own bound).
 */
export const READINESS_CHECK_MS = 2_000;

export function healthRoutes(deps: Pick<ApiDeps, 'readiness'>, checkMs = READINESS_CHECK_MS) {
  const app = router();
  const underWay = new Map<string, { answer: Promise<unknown>; startedAt: number }>();
  const check = (name: string, run: () => Promise<unknown>): Promise<unknown> => {
    const shared = underWay.get(name);
    if (shared && performance.now() - shared.startedAt < checkMs) return shared.answer;
    const entry = { answer: Promise.resolve().then(run), startedAt: performance.now() };
    underWay.set(name, entry);
    const forget = () => {
      if (underWay.get(name) === entry) underWay.delete(name);
    };
    entry.answer.then(forget, forget);
    return entry.answer;
  };
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const entries = await Promise.all(
      Object.entries(deps.readiness).map(async ([name, run]) => {
        const answered = await withTimeout(
          check(name, run),
          checkMs,
          () => new Error(`${name}: no answer`),
        ).then(
          () => true,
          () => false,
        );
        return [name, answered] as const;
      }),
    );
    const checks = Object.fromEntries(entries);
    const ok = entries.every(([, answered]) => answered);
    return c.json({ status: ok ? 'ready' : 'not ready', checks }, ok ? 200 : 503);
  });
  return app;
}
