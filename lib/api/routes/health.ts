// Liveness (the process answers) and readiness (its database and broker answer), without auth.
import type { ApiDeps } from '../context.ts';
import { router } from '../context.ts';

export function healthRoutes(deps: Pick<ApiDeps, 'readiness'>) {
  const app = router();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const checks = await deps.readiness();
    const ok = Object.values(checks).every(Boolean);
    return c.json({ status: ok ? 'ready' : 'not ready', checks }, ok ? 200 : 503);
  });
  return app;
}
