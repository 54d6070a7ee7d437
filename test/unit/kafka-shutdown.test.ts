// Leaving is bounded (lib/kafka/shutdown.ts): steps run in their groups' order, a failing step does not
// stop the others, and a step that never settles is named when the time runs out.
import { describe, expect, it } from 'vitest';
import { shutdownWithin } from '../../lib/kafka/shutdown.ts';
import type { Logger } from '../../lib/telemetry/logger.ts';

function recordingLogger() {
  const lines: { level: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>) => lines.push({ level, fields });
  return { lines, logger: { warn: at('warn'), error: at('error') } as unknown as Logger };
}

describe('shutdownWithin', () => {
  it('runs the groups in turn and resolves true when every step ended, a failed one included', async () => {
    const order: string[] = [];
    const { lines, logger } = recordingLogger();
    const ended = await shutdownWithin(
      1000,
      [
        { first: async () => void order.push('first') },
        {
          a: async () => void order.push('a'),
          b: async () => {
            throw new Error('closed already');
          },
        },
      ],
      logger,
    );
    expect(ended).toBe(true);
    expect(order).toEqual(['first', 'a']);
    expect(lines.map((l) => [l.level, l.fields.step])).toEqual([['warn', 'b']]);
  });

  it('resolves false within the bound when a step never settles, and logs the steps still running', async () => {
    const { lines, logger } = recordingLogger();
    const started = performance.now();
    const ended = await shutdownWithin(
      200,
      [{ 'consumer disconnect': () => new Promise(() => {}) }, { never: async () => {} }],
      logger,
    );
    expect(ended).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        fields: expect.objectContaining({
          event: 'engine.shutdown-timed-out',
          pending: ['consumer disconnect'],
        }),
      }),
    ]);
  });
});
