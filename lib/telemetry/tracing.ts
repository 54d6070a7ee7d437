// Spans and context propagation through Kafka record headers (W3C traceparent), so one job can be
// followed from its HTTP request to its stored result across processes.
import {
  type Attributes,
  context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

import { safeErrorText, serializeError } from './serialize-error.ts';

export const tracer = () => trace.getTracer('cv-evaluator');

export async function withSpan<T>(
  name: string,
  options: {
    attributes?: Attributes;
    kind?: SpanKind;
    links?: Link[];
    parent?: ReturnType<typeof context.active>;
  },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer().startActiveSpan(
    name,
    { attributes: options.attributes, kind: options.kind ?? SpanKind.INTERNAL, links: options.links },
    options.parent ?? context.active(),
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        // Spans are exported: record what kind of error it was, never a library's message.
        const safe = serializeError(err);
        span.recordException({ name: safe.name, message: safeErrorText(err), code: safe.code });
        span.setStatus({ code: SpanStatusCode.ERROR, message: safeErrorText(err) });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * Runs `fn` with its spans suppressed (neither recorded nor exported): work that is no job's, such as an
 * evaluator's warm-up. Call it only where telemetry is on: it loads @opentelemetry/core (~12 MB of RSS),
 * which the SDK has loaded already there; with telemetry off there is nothing to suppress.
 */
export async function withoutSpans<T>(fn: () => Promise<T>): Promise<T> {
  const { suppressTracing } = await import('@opentelemetry/core');
  return context.with(suppressTracing(context.active()), fn);
}

/** Record headers carrying the active context (traceparent, tracestate). */
export function traceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

/** The context a producer left in a record's headers (the root context when there is none). */
export function contextFromHeaders(headers: Record<string, HeaderValue>) {
  const carrier: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    carrier[k] = String(Array.isArray(v) ? v[0] : v);
  }
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/** A link to the span that produced a record, if its headers carry one. */
export function linkFromHeaders(headers: Record<string, HeaderValue>): Link | undefined {
  const sc = trace.getSpanContext(contextFromHeaders(headers));
  return sc && trace.isSpanContextValid(sc) ? { context: sc } : undefined;
}

export { SpanKind };
