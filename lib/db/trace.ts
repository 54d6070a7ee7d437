// postgres.js has no auto-instrumentation: database work is wrapped in spans here.
import { SpanKind, withSpan } from '../telemetry/tracing.ts';

export function traced<A extends unknown[], R>(
  name: string,
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return (...args: A) =>
    withSpan(
      `db.${name}`,
      { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql', 'db.operation.name': name } },
      () => fn(...args),
    );
}
