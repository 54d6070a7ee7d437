// Structured JSON logs (pino). Never log secrets or document text: redact the usual suspects.
import { trace } from '@opentelemetry/api';
import { type Logger, pino } from 'pino';
import { serializeError } from './serialize-error.ts';

export type { Logger };

export function createLogger(
  options: { level?: string; name?: string; destination?: NodeJS.WritableStream } = {},
): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      name: options.name,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Every line written inside a span carries its ids, so logs and traces join up.
      mixin() {
        const sc = trace.getActiveSpan()?.spanContext();
        return sc && trace.isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
      },
      // Errors are logged by name, code and SQL state, never by a library's message (it may quote data).
      serializers: { err: serializeError, error: serializeError },
      redact: {
        paths: [
          '*.apiKey',
          '*.password',
          '*.authorization',
          'headers.authorization',
          '*.text',
          '*.extractedText',
        ],
        censor: '[redacted]',
      },
    },
    options.destination ?? pino.destination(1),
  );
}
