// Structured JSON logs (pino). Never log secrets or document text: redact the usual suspects.
import { trace } from '@opentelemetry/api';
import { type Logger, pino } from 'pino';

export type { Logger };

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    level: options.level ?? 'info',
    name: options.name,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Every line written inside a span carries its ids, so logs and traces join up.
    mixin() {
      const sc = trace.getActiveSpan()?.spanContext();
      return sc && trace.isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
    },
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
  });
}
