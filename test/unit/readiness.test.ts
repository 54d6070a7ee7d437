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

describe('readiness under many probes', () => {
  it('starts at most one check of a dependency per bound: probes of a hung one share it', async () => {
    let started = 0;
    let answer: () => void = () => {};
    const app = healthRoutes(
      {
        readiness: {
          // the first check hangs until answered; later ones answer at once
          broker: () => {
            started += 1;
            if (started > 1) return Promise.resolve();
            return new Promise<void>((resolve) => {
              answer = resolve;
            });
          },
        },
      },
      200,
    );
    // twenty probes at once while the check hangs: all not ready at the bound, one check started
    const probes = await Promise.all(Array.from({ length: 20 }, () => app.request('/readyz')));
    expect(probes.map((r) => r.status)).toEqual(Array(20).fill(503));
    expect(started).toBe(1);
    // a bound after it started, a probe tries afresh (the stuck check no longer speaks for the broker);
    // a timer may fire up to a millisecond early as performance.now() counts, hence the margin
    await new Promise((r) => setTimeout(r, 10));
    const afresh = await app.request('/readyz');
    expect(afresh.status).toBe(200);
    expect(started).toBe(2);
    answer();
  });

  it('a failed check is not remembered: the next probe checks again', async () => {
    let calls = 0;
    const app = healthRoutes(
      {
        readiness: {
          database: async () => {
            calls += 1;
            if (calls === 1) throw new Error('refused');
          },
        },
      },
      100,
    );
    expect((await app.request('/readyz')).status).toBe(503);
    expect((await app.request('/readyz')).status).toBe(200);
    expect(calls).toBe(2);
  });
});
