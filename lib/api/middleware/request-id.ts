// Every request gets an id (the caller's X-Request-Id when sane, else a new one), a logger that carries
// it, a server span, a duration metric and one access-log line; the id is echoed in the answer.
import type { MiddlewareHandler } from 'hono';
import { requestId as honoRequestId } from 'hono/request-id';
import type { Logger } from '../../telemetry/logger.ts';
import { telemetryMetrics } from '../../telemetry/metrics.ts';
import { SpanKind, withSpan } from '../../telemetry/tracing.ts';
import type { Env } from '../context.ts';

export const requestId = (): MiddlewareHandler<Env> =>
  honoRequestId({ headerName: 'x-request-id', limitLength: 128 });

export function requestContext(logger: Logger): MiddlewareHandler<Env> {
  return async (c, next) => {
    const started = performance.now();
    await withSpan(
      `${c.req.method} ${c.req.path}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': c.req.method } },
      async (span) => {
        const log = logger.child({ request_id: c.get('requestId') });
        c.set('log', log);
        await next();
        c.header('x-request-id', c.get('requestId'));
        const route = c.req.routePath || 'unmatched';
        span.updateName(`${c.req.method} ${route}`);
        span.setAttributes({ 'http.route': route, 'http.response.status_code': c.res.status });
        const ms = performance.now() - started;
        telemetryMetrics().httpDuration.record(ms, {
          method: c.req.method,
          route,
          status: String(c.res.status),
        });
        log.info(
          { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(ms) },
          'request',
        );
      },
    );
  };
}
