import type { Config } from '../../config.ts';
import type { Provider } from '../types.ts';
import { OfflineProvider } from './offline.ts';
import { OpenAICompatibleProvider } from './openai-compatible.ts';

export function createProvider(llm: Config['llm']): Provider {
  if (llm.provider === 'openai-compatible') {
    return new OpenAICompatibleProvider({
      baseUrl: llm.baseUrl,
      apiKey: llm.apiKey,
      model: llm.model,
      timeoutMs: llm.timeoutMs,
      concurrency: llm.concurrency,
      maxTokens: llm.maxTokens,
    });
  }
  return new OfflineProvider({ delayMs: llm.offlineDelayMs });
}
