// OpenTelemetry for both functions, set up once per process. Off unless configured by the standard
// OTEL_* variables (e.g. OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER),
// which the SDK itself reads; tests pass their own in-memory processors and readers.

import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';

export interface TelemetryHandle {
  enabled: boolean;
  shutdown(): Promise<void>;
}

const OTEL_SWITCHES = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  'OTEL_TRACES_EXPORTER',
  'OTEL_METRICS_EXPORTER',
];

export function telemetryConfigured(env: Record<string, string | undefined> = process.env): boolean {
  return OTEL_SWITCHES.some((k) => env[k] && env[k] !== 'none') && env.OTEL_SDK_DISABLED !== 'true';
}

export async function startTelemetry(options: {
  serviceName: string;
  spanProcessors?: SpanProcessor[];
  metricReaders?: IMetricReader[];
  env?: Record<string, string | undefined>;
}): Promise<TelemetryHandle> {
  const explicit = Boolean(options.spanProcessors?.length || options.metricReaders?.length);
  if (!explicit && !telemetryConfigured(options.env)) return { enabled: false, shutdown: async () => {} };
  // Loaded only when on: the SDK and its exporters (gRPC, protobuf) cost a cold start ~20 MB of RSS.
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? options.serviceName,
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
    ...(options.metricReaders ? { metricReaders: options.metricReaders } : {}),
    // No auto-instrumentation: spans are made where they mean something (HTTP route, publish, consume,
    // provider call, database work), and postgres.js has no instrumentation anyway.
    instrumentations: [],
  });
  sdk.start();
  return { enabled: true, shutdown: () => sdk.shutdown() };
}
