// Webhook delivery metrics (OpenTelemetry), created on first use like the service's other instruments.
import { metrics } from '@opentelemetry/api';

let instruments: ReturnType<typeof create> | undefined;
function create() {
  const m = metrics.getMeter('cv-evaluator');
  return {
    attempts: m.createCounter('webhooks.attempts', {
      description: 'delivery attempts by outcome (delivered|retry|failed|gone|refused)',
    }),
    attemptDuration: m.createHistogram('webhooks.attempt.duration', {
      unit: 'ms',
      description: 'one attempt',
    }),
    firstAttemptDelay: m.createHistogram('webhooks.first_attempt.delay', {
      unit: 'ms',
      description: 'from the result record to the first delivery attempt',
    }),
  };
}

export function webhookMetrics(): ReturnType<typeof create> {
  instruments ??= create();
  return instruments;
}
