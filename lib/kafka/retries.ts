// What the session does when its handler throws: split a chunk to find the failing record, retry that
// record with a back-off, and after its last attempt send it to the DLQ with the reason.
import type { Logger } from '../telemetry/logger.ts';
import { RecordError } from './errors.ts';
import { ENGINE_EVENTS } from './events.ts';
import type { HandlerResult, InputRecord } from './types.ts';

export type AfterHandlerError =
  | { action: 'split'; chunks: InputRecord[][] }
  | { action: 'retry'; backoffMs: number }
  | { action: 'dead-letter'; result: HandlerResult };

export class HandlerRetries {
  /** attempts per single record (`partition:offset`) in this session */
  private readonly attempts = new Map<string, number>();

  private readonly maxAttempts: number;
  private readonly retryBackoffMs: number;

  constructor(maxAttempts: number, retryBackoffMs: number) {
    this.maxAttempts = maxAttempts;
    this.retryBackoffMs = retryBackoffMs;
  }

  /** 1 for a chunk; for a single record, the attempt it is now at. */
  attemptOf(chunk: InputRecord[]): number {
    return chunk.length === 1 ? (this.attempts.get(keyOf(chunk)) ?? 0) + 1 : 1;
  }

  afterError(chunk: InputRecord[], attempt: number, err: unknown, log?: Logger): AfterHandlerError {
    const { partition, offset } = chunk[0]!;
    log?.warn({ event: ENGINE_EVENTS.handlerFailed, partition, offset, attempt, err }, 'handler failed');
    if (chunk.length > 1) return { action: 'split', chunks: chunk.map((r) => [r]) };
    this.attempts.set(keyOf(chunk), attempt);
    if (isRetriable(err) && attempt < this.maxAttempts)
      return { action: 'retry', backoffMs: this.retryBackoffMs * attempt };
    const code = (err as { code?: string }).code ?? 'HANDLER_FAILED';
    const message = err instanceof Error ? err.message : String(err);
    return {
      action: 'dead-letter',
      result: { outputs: [], dlq: [{ offset: chunk[0]!.offset, code, message, attempts: attempt }] },
    };
  }

  committed(chunk: InputRecord[]): void {
    this.attempts.delete(keyOf(chunk));
  }
}

function keyOf(chunk: InputRecord[]): string {
  return `${chunk[0]!.partition}:${chunk[0]!.offset}`;
}

function isRetriable(err: unknown): boolean {
  if (err instanceof RecordError) return err.retriable;
  return !(err instanceof Error && err.name === 'NonRetriableError');
}
