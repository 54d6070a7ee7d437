// /readyz answers within its bound whatever its dependencies do (lib/api/routes/health.ts): a check that
// hangs, nothing answered and nothing closed, is "not ready" at the bound, side by side with the others.
import { describe, expect, it } from 'vitest';
import { healthRoutes } from '../../lib/api/routes/health.ts';

describe('readiness', () => {
  it('a hung check is not ready at the bound; a failed one at once; the others still answer', async () => {
    const app = healthRoutes(
      {
        readiness: {
          database: async () => {},
          broker: () => new Promise(() => {}), // never answers
          cache: async () => {
            throw new Error('refused');
          },
        },
      },
      300,
    );
    const started = performance.now();
    const res = await app.request('/readyz');
    const tookMs = performance.now() - started;
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: 'not ready',
      checks: { database: true, broker: false, cache: false },
    });
    // the checks ran side by side: one bound, not one per check
    expect(tookMs).toBeGreaterThanOrEqual(290);
    expect(tookMs).toBeLessThan(1_500);
  });

  it('every check answered: 200 ready', async () => {
    const app = healthRoutes({ readiness: { database: async () => {}, broker: async () => 'ok' } }, 300);
    const res = await app.request('/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { database: true, broker: true } });
  });
});
