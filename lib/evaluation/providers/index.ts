// Chooses the LLM provider. Its options are its own: the evaluation layer knows nothing of the
// service's configuration module (lib/config.ts passes its `llm` section, which fits this shape).
import type { Provider } from '../types.ts';

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

/** Loads only the chosen provider: the OpenAI SDK is ~240 modules a process using the offline one never needs. */
export async function createProvider(llm: ProviderOptions): Promise<Provider> {
  if (llm.provider === 'openai-compatible') {
    const { OpenAICompatibleProvider } = await import('./openai-compatible.ts');
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
  const { OfflineProvider } = await import('./offline.ts');
  return new OfflineProvider({ delayMs: llm.offlineDelayMs });
}
