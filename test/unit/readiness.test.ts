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
          llm: () => new Promise(() => {}), // nor this one
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
      checks: { database: true, broker: false, llm: false, cache: false },
    });
    // the two hung checks ran side by side: one bound, not one per check (one after the other: 600 ms)
    expect(tookMs).toBeGreaterThanOrEqual(290);
    expect(tookMs).toBeLessThan(550);
  });

  it('every check answered: 200 ready', async () => {
    const app = healthRoutes({ readiness: { database: async () => {}, broker: async () => 'ok' } }, 300);
    const res = await app.request('/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { database: true, broker: true } });
  });
});
