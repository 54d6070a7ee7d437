// Structured JSON logs (pino). Never log secrets or document text: redact the usual suspects.
import { type Logger, pino } from 'pino';

export type { Logger };

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    level: options.level ?? 'info',
    name: options.name,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
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
