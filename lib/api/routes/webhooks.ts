// Webhook endpoints: POST/GET /v1/webhooks, GET/DELETE /v1/webhooks/{id}, secret rotation, the
// endpoint's deliveries (paged by keyset cursor, like GET /v1/jobs, so old failed ones can be found and
// redelivered) and redelivery by hand. The signing secret is shown once, at creation or rotation. A destination the SSRF guard refuses (loopback, private, link-local, metadata) is refused
// here already, unless WEBHOOKS_ALLOW_PRIVATE=true; the notify function checks again at every attempt.
import { createRoute, z } from '@hono/zod-openapi';
import {
  createEndpoint,
  type DeliveryRow,
  type EndpointRow,
  getDelivery,
  getEndpoint,
  listDeliveries,
  listEndpoints,
  redeliver,
  rotateSecret,
  stopEndpoint,
} from '../../db/webhooks.ts';
import { codes } from '../../errors.ts';
import {
  DnsUnavailableError,
  ForbiddenDestinationError,
  resolveAllowed,
  UnresolvableHostError,
  urlHost,
} from '../../webhooks/address-guard.ts';
import { eventTypes } from '../../webhooks/payload.ts';
import { generateSecret, webhookId } from '../../webhooks/signing.ts';
import type { ApiDeps } from '../context.ts';
import { router } from '../context.ts';
import { limitBody, requireMediaType } from '../middleware/body.ts';
import { Problem } from '../middleware/problem.ts';
import { decodeTimeIdCursor, isUuid, json, keysetPage } from '../route-kit.ts';
import {
  DeliveriesPage,
  DeliveriesQuery,
  Delivery,
  DeliveryParams,
  IdParam,
  problems,
  SecretRotated,
  security,
  Webhook,
  WebhookCreate,
  WebhookWithSecret,
} from '../schemas.ts';

const createRouteDef = createRoute({
  method: 'post',
  path: '/v1/webhooks',
  security,
  request: { body: { content: { 'application/json': { schema: WebhookCreate } }, required: true } },
  responses: {
    201: json(WebhookWithSecret, 'created; the secret is shown only now'),
    ...problems(400, 401, 413, 415, 422, 503),
  },
});
const listRoute = createRoute({
  method: 'get',
  path: '/v1/webhooks',
  security,
  responses: { 200: json(z.object({ items: z.array(Webhook) }), 'your endpoints'), ...problems(401) },
});
const getRoute = createRoute({
  method: 'get',
  path: '/v1/webhooks/{id}',
  security,
  request: { params: IdParam },
  responses: { 200: json(Webhook, 'the endpoint'), ...problems(401, 404) },
});
const deleteRoute = createRoute({
  method: 'delete',
  path: '/v1/webhooks/{id}',
  security,
  request: { params: IdParam },
  responses: { 204: { description: 'deleted; its pending deliveries are cancelled' }, ...problems(401, 404) },
});
const rotateRoute = createRoute({
  method: 'post',
  path: '/v1/webhooks/{id}/rotate-secret',
  security,
  request: { params: IdParam },
  responses: {
    200: json(
      SecretRotated,
      'a new secret; the previous one keeps signing (both signatures sent) until it expires',
    ),
    ...problems(401, 404),
  },
});
const deliveriesRoute = createRoute({
  method: 'get',
  path: '/v1/webhooks/{id}/deliveries',
  security,
  request: { params: IdParam, query: DeliveriesQuery },
  responses: {
    200: json(DeliveriesPage, 'the deliveries, newest first, in pages joined by next_cursor'),
    ...problems(400, 401, 404),
  },
});
const redeliverRoute = createRoute({
  method: 'post',
  path: '/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver',
  security,
  request: { params: DeliveryParams },
  responses: {
    202: json(Delivery, 'scheduled now, same webhook-id and body; the notify function sends it'),
    ...problems(401, 404, 409),
  },
});

const endpointView = (e: EndpointRow) => ({
  id: e.id,
  url: e.url,
  event_types: e.eventTypes,
  description: e.description,
  status: e.status === 'disabled' ? ('disabled' as const) : ('active' as const),
  disabled_reason: e.disabledReason,
  created_at: e.createdAt.toISOString(),
});

const deliveryView = (d: DeliveryRow) => ({
  id: d.id,
  webhook_id: webhookId(d.id),
  job_id: d.jobId,
  event_type: d.eventType,
  status: d.status,
  attempts: d.attempts,
  next_attempt_at: d.nextAttemptAt?.toISOString() ?? null,
  last_status: d.lastStatus,
  last_error: d.lastError,
  delivered_at: d.deliveredAt?.toISOString() ?? null,
  created_at: d.createdAt.toISOString(),
});

/** Seconds a client is asked to wait after a resolver failure that may pass. */
const DNS_RETRY_AFTER_S = 30;

export function webhookRoutes(deps: ApiDeps) {
  const app = router();
  const settings = deps.webhooks ?? { allowPrivate: false, secretOverlapMs: 24 * 3_600_000 };
  const notFound = (id: string) =>
    new Problem(codes.WEBHOOK_NOT_FOUND, `no webhook endpoint ${id} among yours`);
  app.on('POST', '/v1/webhooks', requireMediaType('application/json'));
  app.on(
    'POST',
    '/v1/webhooks',
    limitBody(64 * 1024, codes.PAYLOAD_TOO_LARGE, 'the request body may be at most 64 KiB'),
  );

  app.openapi(createRouteDef, async (c) => {
    const b = c.req.valid('json');
    const url = new URL(b.url);
    if (url.username || url.password) {
      throw new Problem(codes.WEBHOOK_URL_REFUSED, 'a webhook URL must not carry credentials');
    }
    if (!settings.allowPrivate) {
      try {
        await resolveAllowed(urlHost(url), settings.resolve);
      } catch (err) {
        // a resolver hiccup is not the URL's fault: the client is told to try again, not to change it
        if (err instanceof DnsUnavailableError) {
          throw new Problem(codes.WEBHOOK_DNS_UNAVAILABLE, err.message, {
            headers: { 'retry-after': String(DNS_RETRY_AFTER_S) },
            cause: err,
          });
        }
        // our own refusals (forbidden address, a name without address) carry our own wording
        if (err instanceof ForbiddenDestinationError || err instanceof UnresolvableHostError) {
          throw new Problem(codes.WEBHOOK_URL_REFUSED, err.message);
        }
        throw err;
      }
    }
    const secret = generateSecret();
    const row = await createEndpoint(
      deps.db,
      {
        clientId: c.get('clientId'),
        url: url.toString(),
        eventTypes: b.event_types ? [...new Set(b.event_types)] : [...eventTypes],
        description: b.description ?? null,
      },
      secret,
    );
    c.header('location', `/v1/webhooks/${row.id}`);
    return c.json({ ...endpointView(row), secret }, 201);
  });

  app.openapi(listRoute, async (c) => {
    const rows = await listEndpoints(deps.db, c.get('clientId'));
    return c.json({ items: rows.map(endpointView) }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param');
    const row = isUuid(id) ? await getEndpoint(deps.db, c.get('clientId'), id) : undefined;
    if (!row) throw notFound(id);
    return c.json(endpointView(row), 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (
      !isUuid(id) ||
      !(await stopEndpoint(deps.db, id, 'deleted', 'deleted by its owner', c.get('clientId')))
    ) {
      throw notFound(id);
    }
    return c.body(null, 204);
  });

  app.openapi(rotateRoute, async (c) => {
    const { id } = c.req.valid('param');
    const secret = generateSecret();
    const out = isUuid(id)
      ? await rotateSecret(deps.db, c.get('clientId'), id, secret, settings.secretOverlapMs)
      : undefined;
    if (!out) throw notFound(id);
    return c.json({ secret, previous_secret_expires_at: out.expiresAt.toISOString() }, 200);
  });

  app.openapi(deliveriesRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!isUuid(id) || !(await getEndpoint(deps.db, c.get('clientId'), id))) throw notFound(id);
    const q = c.req.valid('query');
    const rows = await listDeliveries(deps.db, c.get('clientId'), id, {
      status: q.status,
      limit: q.limit + 1,
      after: decodeTimeIdCursor(q.cursor),
    });
    const { page, next } = keysetPage(rows, q.limit, (r) => ({ cursorTime: r.cursorTime, id: r.row.id }));
    return c.json(
      {
        items: page.map((r) => deliveryView(r.row)),
        next_cursor: next,
      },
      200,
    );
  });

  app.openapi(redeliverRoute, async (c) => {
    const { id, delivery_id } = c.req.valid('param');
    const clientId = c.get('clientId');
    if (!isUuid(id) || !isUuid(delivery_id)) throw notFound(id);
    const endpoint = await getEndpoint(deps.db, clientId, id);
    if (!endpoint) throw notFound(id);
    if (endpoint.status !== 'active') {
      throw new Problem(codes.WEBHOOK_DISABLED, `the endpoint is disabled: ${endpoint.disabledReason ?? ''}`);
    }
    await redeliver(deps.db, clientId, id, delivery_id);
    const row = await getDelivery(deps.db, clientId, id, delivery_id);
    if (!row) throw new Problem(codes.DELIVERY_NOT_FOUND, `no delivery ${delivery_id} for this endpoint`);
    return c.json(deliveryView(row), 202);
  });
  return app;
}
