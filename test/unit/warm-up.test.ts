import { afterEach, describe, expect, it, vi } from 'vitest';
import { OfflineProvider } from '../../lib/evaluation/providers/offline.ts';
import type { Provider } from '../../lib/evaluation/types.ts';
import { warmUpEvaluation } from '../../lib/evaluation/warm-up.ts';

afterEach(() => vi.restoreAllMocks());

describe('warm-up before an evaluator takes work', () => {
  it('practises the offline analysis on the default documents and never calls the configured provider', async () => {
    const practice = vi.spyOn(OfflineProvider.prototype, 'complete');
    const llm: Provider = {
      name: 'remote',
      model: 'm',
      kind: 'llm',
      complete: vi.fn(async () => {
        throw new Error('the warm-up must not pay an LLM');
      }),
      warmUp: vi.fn(),
    };
    await warmUpEvaluation(llm);
    expect(llm.complete).not.toHaveBeenCalled();
    expect(llm.warmUp).toHaveBeenCalledOnce();
    // three steps (CV, report, summary) per practice evaluation, every one answered
    expect(practice.mock.calls).toHaveLength(9);
    for (const r of practice.mock.results) expect(r.type).toBe('return');
    for (const r of practice.mock.results) await expect(r.value).resolves.toHaveProperty('content');
  });
});
