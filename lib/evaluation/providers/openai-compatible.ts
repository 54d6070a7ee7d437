// Any OpenAI-compatible chat completions server: OpenAI, OpenRouter, Groq, Ollama, vLLM. Uses the
// official openai SDK, whose client already retries 408/409/429/5xx with exponential backoff and honours
// Retry-After / retry-after-ms. Structured output: JSON schema first; servers that refuse it are asked
// for a JSON object, then for plain JSON text (the pipeline validates every answer either way).
import OpenAI from 'openai';
import pLimit from 'p-limit';
import { codes, RetriableError } from '../../errors.ts';
import type { OutputMode, Provider, ProviderAnswer, StepRequest } from '../types.ts';

export interface OpenAICompatibleOptions {
  baseUrl?: string;
  apiKey?: string;
  model: string;
  timeoutMs: number;
  concurrency: number;
  maxRetries?: number;
  /** redact personal data before sending; default: on unless the server is on this machine */
  redact?: boolean;
  /** max_tokens of every call: bounds what one call may cost (default 1024) */
  maxTokens?: number;
}

export class OpenAICompatibleProvider implements Provider {
  readonly name = 'openai-compatible';
  readonly kind = 'llm' as const;
  readonly model: string;
  readonly redact: boolean;
  private readonly client: OpenAI;
  private readonly limit: ReturnType<typeof pLimit>;
  private mode: OutputMode = 'json_schema';
  private readonly maxTokens: number;

  constructor(options: OpenAICompatibleOptions) {
    this.model = options.model;
    this.redact = options.redact ?? !isLoopback(options.baseUrl);
    this.maxTokens = options.maxTokens ?? 1024;
    this.client = new OpenAI({
      baseURL: options.baseUrl,
      // Local servers (Ollama, vLLM) take any key; the SDK insists on one.
      apiKey: options.apiKey ?? 'not-needed',
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries ?? 3,
    });
    this.limit = pLimit(options.concurrency);
  }

  complete(request: StepRequest, signal?: AbortSignal): Promise<ProviderAnswer> {
    return this.limit(() => this.call(request, signal));
  }

  private async call(request: StepRequest, signal?: AbortSignal): Promise<ProviderAnswer> {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'system', content: request.system },
      {
        role: 'user',
        content:
          this.mode === 'prompt'
            ? `${request.user}\n\nAnswer with JSON only, matching this JSON schema:\n${JSON.stringify(request.jsonSchema)}`
            : request.user,
      },
    ];
    if (request.repair) {
      messages.push(
        { role: 'assistant', content: request.repair.previous },
        {
          role: 'user',
          content: `That answer is invalid: ${request.repair.error}\nAnswer again with JSON only, matching the schema exactly.`,
        },
      );
    }
    const responseFormat =
      this.mode === 'json_schema'
        ? {
            type: 'json_schema' as const,
            json_schema: { name: request.schemaName, schema: request.jsonSchema, strict: true },
          }
        : this.mode === 'json_object'
          ? { type: 'json_object' as const }
          : undefined;
    try {
      const res = await this.client.chat.completions.create(
        {
          model: this.model,
          messages,
          temperature: 0,
          max_tokens: this.maxTokens,
          ...(responseFormat ? { response_format: responseFormat } : {}),
        },
        { signal },
      );
      return {
        content: res.choices[0]?.message?.content ?? '',
        ...(res.model ? { model: res.model } : {}),
        outputMode: this.mode,
        usage: {
          inputTokens: res.usage?.prompt_tokens ?? 0,
          outputTokens: res.usage?.completion_tokens ?? 0,
        },
      };
    } catch (err) {
      if (
        err instanceof OpenAI.BadRequestError &&
        this.mode !== 'prompt' &&
        /response_format|json_schema|json_object|schema/i.test(err.message)
      ) {
        // A server without structured output: step down once and remember it.
        this.mode = this.mode === 'json_schema' ? 'json_object' : 'prompt';
        return this.call(request, signal);
      }
      throw classify(err);
    }
  }
}

function classify(err: unknown): unknown {
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return new RetriableError(codes.PROVIDER_TIMEOUT, 'the LLM did not answer in time', { cause: err });
  }
  if (err instanceof OpenAI.APIUserAbortError) return err;
  if (
    err instanceof OpenAI.RateLimitError ||
    err instanceof OpenAI.InternalServerError ||
    err instanceof OpenAI.APIConnectionError
  ) {
    const retryAfter = Number((err as { headers?: Headers }).headers?.get?.('retry-after'));
    return new RetriableError(
      codes.PROVIDER_UNAVAILABLE,
      `the LLM is unavailable: ${(err as Error).message}`,
      {
        cause: err,
        ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
      },
    );
  }
  if (err instanceof OpenAI.APIError) {
    // 401/403/404 (a wrong key or model) are configuration problems: retrying later may succeed once fixed.
    return new RetriableError(
      codes.PROVIDER_REJECTED,
      `the LLM refused the request (${err.status}): ${err.message}`,
      { cause: err },
    );
  }
  return err;
}

/** A server on this machine (Ollama, vLLM on localhost) is not remote: no personal data leaves. */
function isLoopback(baseUrl: string | undefined): boolean {
  if (!baseUrl) return false; // the OpenAI API
  const host = new URL(baseUrl).hostname;
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}
