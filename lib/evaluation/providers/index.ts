// Chooses the LLM provider. Its options are its own: the evaluation layer knows nothing of the
// service's configuration module (lib/config.ts passes its `llm` section, which fits this shape).
import type { Provider } from '../types.ts';
import { OfflineProvider } from './offline.ts';
import { OpenAICompatibleProvider } from './openai-compatible.ts';

export interface ProviderOptions {
  provider: 'offline' | 'openai-compatible';
  baseUrl?: string | undefined;
  apiKey?: string | undefined;
  model: string;
  timeoutMs: number;
  concurrency: number;
  /** redact personal data before sending: auto = only to servers not on this machine */
  redact?: 'auto' | 'on' | 'off';
  /** simulated latency per step of the offline provider */
  offlineDelayMs: number;
  /** max_tokens of every LLM call */
  maxTokens?: number;
}

export function createProvider(llm: ProviderOptions): Provider {
  if (llm.provider === 'openai-compatible') {
    return new OpenAICompatibleProvider({
      baseUrl: llm.baseUrl,
      apiKey: llm.apiKey,
      model: llm.model,
      timeoutMs: llm.timeoutMs,
      concurrency: llm.concurrency,
      ...(llm.redact === 'on' || llm.redact === 'off' ? { redact: llm.redact === 'on' } : {}),
      maxTokens: llm.maxTokens,
    });
  }
  return new OfflineProvider({ delayMs: llm.offlineDelayMs });
}
