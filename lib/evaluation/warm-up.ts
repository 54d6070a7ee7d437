// Loads what the first evaluation would otherwise load on the way — the language models, ~150 ms and
// ~35 MB — so that a function pays it before it takes work, not while its first jobs wait.
import { redact, redactsFor } from './redact.ts';
import type { Provider } from './types.ts';

/** Redacts a sample when `evaluate()` would redact for this provider, then warms the provider. */
export function warmUpEvaluation(provider: Provider): void {
  if (redactsFor(provider)) redact('Warm-up: Jane Doe, jane@example.com.');
  provider.warmUp?.();
}
