// Liveness (the process answers) and readiness (its database and broker answer), without auth.
import { withTimeout } from '../../util/timeout.ts';
import type { ApiDeps } from '../context.ts';
import { router } from '../context.ts';

/**
 * A probe must answer within its own timeout (the Kubernetes manifests give it 3 s): a dependency that
 * hangs, nothing answered and nothing closed, is "not ready" after this long rather than after its
 * client's own timeout (30 s for a Kafka request). The checks run side by side.
 */
export const READINESS_CHECK_MS = 2_000;

export function healthRoutes(deps: Pick<ApiDeps, 'readiness'>, checkMs = READINESS_CHECK_MS) {
  const app = router();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const entries = await Promise.all(
      Object.entries(deps.readiness).map(async ([name, check]) => {
        const answered = await withTimeout(check(), checkMs, () => new Error(`${name}: no answer`)).then(
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
