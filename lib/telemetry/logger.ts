// Structured JSON logs (pino); readable lines instead when writing to a terminal (LOG_FORMAT=pretty
// forces them, LOG_FORMAT=json forces JSON). Never log secrets or document text: redact the usual
// suspects.
import { trace } from '@opentelemetry/api';
import { type Logger, pino } from 'pino';
import { prettyDestination } from './pretty.ts';
import { serializeError } from './serialize-error.ts';

export type { Logger };

export type LogFormat = 'json' | 'pretty' | 'auto';

export function createLogger(
  options: { level?: string; name?: string; format?: LogFormat; destination?: NodeJS.WritableStream } = {},
): Logger {
  const format = options.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  const pinoOptions: pino.LoggerOptions = {
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
  };
  if (options.destination) return pino(pinoOptions, options.destination);
  return pretty ? pino(pinoOptions, prettyDestination()) : pino(pinoOptions);
}
