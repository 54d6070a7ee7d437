// The notify function's handler on the real broker and PostgreSQL, delivering to a local receiver:
// signatures verified with the standardwebhooks package, rotation (both signatures), the retry schedule
// kept in the database and picked up by a sweep, Retry-After, 410 disabling the endpoint, SSRF
// refusals, and a replay after an aborted Kafka transaction re-sending nothing already delivered.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../lib/api/app.ts';
import { createClient, findClientByKey } from '../../lib/db/api-clients.ts';
import { closeDatabase, createDatabase } from '../../lib/db/database.ts';
import { eraseJob } from '../../lib/db/erasure.ts';
import { webhookDeliveries, webhookEndpoints } from '../../lib/db/schema.ts';
import { createNotifyHandler } from '../../lib/jobs/notify-handler.ts';
import { runSession } from '../../lib/kafka/session.ts';
import type { SessionHooks } from '../../lib/kafka/types.ts';
import type { DispatchOptions } from '../../lib/webhooks/dispatcher.ts';
import { startDeliveryPump, sweepDueDeliveries } from '../../lib/webhooks/pump.ts';
import { type ApiHarness, apiHarness } from '../helpers/api.ts';
import { runChild } from '../helpers/child.ts';
import { testLogger } from '../helpers/engine.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { seedJob } from '../helpers/jobs.ts';
import { drainTopic } from '../helpers/kafka.ts';
import { startTcpProxy, viaProxy } from '../helpers/tcp-proxy.ts';

const stack = await isolatedStack('notify');
let h: ApiHarness;
const results = stack.topic('results');
const dlq = stack.topic('notify-dlq');

interface Receipt {
  at: number;
  path: string;
  headers: Record<string, string>;
  body: string;
}
const receipts: Receipt[] = [];
/** per path: what to answer next (status and headers, or 'hang'); default 200 */
const script = new Map<string, ({ status: number; headers?: Record<string, string> } | 'hang')[]>();
let receiver: http.Server;
let base = '';

beforeAll(async () => {
  h = await apiHarness(stack, { allowPrivateWebhooks: true });
  await stack.createTopics([results, dlq]);
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      receipts.push({
        at: Date.now(),
        path: req.url ?? '',
        headers: req.headers as Record<string, string>,
        body,
      });
      const next = script.get(req.url ?? '')?.shift() ?? { status: 200 };
      if (next === 'hang') return; // the request arrived; its answer never does
      res.writeHead(next.status, next.headers);
      res.end();
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(async () => {
  receiver?.closeAllConnections();
  receiver?.close();
  await h?.close();
});

const dispatch = (o: Partial<DispatchOptions> = {}): DispatchOptions => ({
  db: h.db,
  retrySchedule: [0, 300, 600],
  timeoutMs: 2_000,
  allowPrivate: true,
  concurrency: 8,
  logger: testLogger,
  ...o,
});

/** One invocation as functions/notify runs it: the pump beside the session, drained after it. */
async function notify(
  o: { dispatch?: Partial<DispatchOptions>; hooks?: SessionHooks; drainMs?: number } = {},
) {
  const d = dispatch(o.dispatch);
  const pump = startDeliveryPump(d, { pollMs: 100 });
  const handler = createNotifyHandler({ dispatch: d, pump, publicBaseUrl: 'https://api.example' });
  const report = await runSession({
    kafka: stack.kafka,
    app: 'test',
    groupId: `${stack.prefix}-notify`,
    topic: results,
    dlqTopic: dlq,
    handler,
    logger: testLogger,
    maxIdleMs: 1500,
    sessionTimeoutMs: 6000,
    retryBackoffMs: 20,
    hooks: o.hooks,
  });
  const sent = await pump.drain(o.drainMs ?? 5_000);
  return { report, stats: { ...handler.stats, ...sent } };
}

/** A client with an endpoint at `path` on the receiver; returns its key, client id and secret. */
async function subscriber(path: string, eventTypes?: string[]) {
  const { apiKey } = await createClient(h.db, `sub-${randomUUID().slice(0, 6)}`);
  const clientId = (await findClientByKey(h.db, apiKey))!.id;
  const res = await h.app.request('/v1/webhooks', {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: `${base}${path}`, ...(eventTypes ? { event_types: eventTypes } : {}) }),
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { id: string; secret: string };
  return { apiKey, clientId, endpointId: body.id, secret: body.secret };
}

/** Jobs for the client and their result events on the results topic (as the evaluator emits them). */
async function results_(
  clientId: string,
  statuses: ('completed' | 'failed')[],
  partition?: number,
  topic = results,
) {
  const ids: string[] = [];
  for (const _ of statuses) ids.push(await seedJob(h.db, clientId, `CV ${randomUUID()}`));
  const producer = stack.kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: ids.map((id, i) => ({
      ...(partition === undefined ? {} : { partition }),
      key: id,
      value: JSON.stringify({ v: 1, job_id: id, status: statuses[i], provenance: {} }),
    })),
  });
  await producer.disconnect();
  return ids;
}

const at = (path: string) => receipts.filter((r) => r.path === path);
const deliveriesOf = (endpointId: string) =>
  h.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpointId));

describe('notify', () => {
  it('delivers one signed, thin event per result to subscribed endpoints; receivers verify with standardwebhooks', async () => {
    const sub = await subscriber('/e2e');
    const failedOnly = await subscriber('/failed-only', ['evaluation.failed']);
    const ids = await results_(sub.clientId, ['completed', 'completed', 'failed']);
    await results_(failedOnly.clientId, ['completed']);
    const { stats } = await notify();
    expect(stats.delivered).toBeGreaterThanOrEqual(3);

    const got = at('/e2e');
    expect(got).toHaveLength(3);
    const events = got.map(
      (r) =>
        new Webhook(sub.secret).verify(r.body, r.headers) as { type: string; data: Record<string, unknown> },
    );
    expect(events.map((e) => e.data.job_id).sort()).toEqual([...ids].sort());
    expect(events.map((e) => e.type).sort()).toEqual([
      'evaluation.completed',
      'evaluation.completed',
      'evaluation.failed',
    ]);
    for (const e of events) {
      expect(Object.keys(e.data).sort()).toEqual(['job_id', 'links', 'status']);
      expect((e.data.links as { result: string }).result).toBe(
        `https://api.example/v1/result/${e.data.job_id}`,
      );
    }
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(3);
    // another secret does not verify
    expect(() => new Webhook(failedOnly.secret).verify(got[0]!.body, got[0]!.headers)).toThrow();
    // not subscribed to evaluation.completed: nothing sent, nothing stored
    expect(at('/failed-only')).toHaveLength(0);
    expect(await deliveriesOf(failedOnly.endpointId)).toHaveLength(0);
    const rows = await deliveriesOf(sub.endpointId);
    expect(rows.map((r) => [r.status, r.attempts])).toEqual(Array(3).fill(['delivered', 1]));
    // the API lists them under the same webhook-ids
    const listed = (await (
      await h.app.request(`/v1/webhooks/${sub.endpointId}/deliveries`, {
        headers: { authorization: `Bearer ${sub.apiKey}` },
      })
    ).json()) as { items: { webhook_id: string }[] };
    expect(new Set(listed.items.map((d) => d.webhook_id))).toEqual(
      new Set(got.map((r) => r.headers['webhook-id'])),
    );
  });

  it('after a rotation both live secrets sign: receivers with the old or the new secret verify', async () => {
    const sub = await subscriber('/rotate');
    const rotated = await h.app.request(`/v1/webhooks/${sub.endpointId}/rotate-secret`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sub.apiKey}` },
    });
    expect(rotated.status).toBe(200);
    const { secret: fresh } = (await rotated.json()) as { secret: string };
    await results_(sub.clientId, ['completed']);
    await notify();
    const [r] = at('/rotate');
    expect(r!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(() => new Webhook(sub.secret).verify(r!.body, r!.headers)).not.toThrow();
    expect(() => new Webhook(fresh).verify(r!.body, r!.headers)).not.toThrow();
  });

  it('a failed attempt is scheduled in the database and a later sweep delivers it with the same webhook-id', async () => {
    const sub = await subscriber('/retry');
    script.set('/retry', [{ status: 500 }]);
    await results_(sub.clientId, ['completed']);
    await notify({ dispatch: { retrySchedule: [0, 60_000] } });
    const [pending] = await deliveriesOf(sub.endpointId);
    expect(pending).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 500 });
    // the schedule's second delay after the first attempt
    const delay = pending!.nextAttemptAt!.getTime() - pending!.lastAttemptAt!.getTime();
    expect(delay).toBeGreaterThanOrEqual(59_000);
    expect(delay).toBeLessThan(65_000);
    // not due yet: a sweep now sends nothing
    expect((await sweepDueDeliveries(dispatch(), { maxMs: 2_000 })).delivered).toBe(0);
    // its time comes (moved forward here rather than waited for): the sweep sends it
    await h.db
      .update(webhookDeliveries)
      .set({ nextAttemptAt: new Date(Date.now() - 1) })
      .where(eq(webhookDeliveries.id, pending!.id));
    const swept = await sweepDueDeliveries(dispatch(), { maxMs: 5_000 });
    expect(swept.delivered).toBe(1);
    const got = at('/retry');
    expect(got).toHaveLength(2);
    expect(got[0]!.headers['webhook-id']).toBe(got[1]!.headers['webhook-id']);
    expect(got[0]!.body).toBe(got[1]!.body);
    expect((await deliveriesOf(sub.endpointId))[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('a stop gives up an attempt still waiting on its endpoint: lease given back, attempt uncounted, sent again at once with the same webhook-id', async () => {
    const sub = await subscriber('/stop-hang');
    script.set('/stop-hang', [{ status: 500 }, 'hang']);
    await results_(sub.clientId, ['completed']);
    await notify({ dispatch: { retrySchedule: [0, 60_000] } });
    const [pending] = await deliveriesOf(sub.endpointId);
    expect(pending).toMatchObject({ status: 'pending', attempts: 1 });
    await h.db
      .update(webhookDeliveries)
      .set({ nextAttemptAt: new Date(Date.now() - 1) })
      .where(eq(webhookDeliveries.id, pending!.id));

    // an instance whose attempt hangs (its timeout 20 s) is told to stop
    const stop = new AbortController();
    const pump = startDeliveryPump(dispatch({ timeoutMs: 20_000 }), {
      signal: stop.signal,
      pollMs: 100,
      interruptAfterMs: 300,
    });
    while (at('/stop-hang').length < 2) await new Promise((r) => setTimeout(r, 20));
    const stoppedAt = Date.now();
    stop.abort();
    const stats = await pump.drain(30_000);
    // within the grace, not the endpoint's timeout
    expect(Date.now() - stoppedAt).toBeLessThan(3_000);
    expect(stats).toMatchObject({ interrupted: 1, delivered: 0, retried: 0, failed: 0 });
    const [released] = await deliveriesOf(sub.endpointId);
    expect(released).toMatchObject({ status: 'pending', attempts: 1, lockedUntil: null });
    expect(released!.nextAttemptAt!.getTime()).toBeLessThanOrEqual(Date.now());

    // the next instance sends it at once (its lease would have held it 35 s), with the same webhook-id
    const swept = await sweepDueDeliveries(dispatch(), { maxMs: 5_000 });
    expect(swept.delivered).toBe(1);
    const got = at('/stop-hang');
    expect(got).toHaveLength(3);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect((await deliveriesOf(sub.endpointId))[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('honours Retry-After on 429 and gives up when the schedule is exhausted', async () => {
    const slow = await subscriber('/429');
    script.set('/429', [{ status: 429, headers: { 'retry-after': '30' } }]);
    const broken = await subscriber('/always-500');
    script.set('/always-500', Array(10).fill({ status: 500 }));
    await results_(slow.clientId, ['completed']);
    await results_(broken.clientId, ['failed']);
    await notify({ dispatch: { retrySchedule: [0, 50] } });
    const [d429] = await deliveriesOf(slow.endpointId);
    expect(d429!.nextAttemptAt!.getTime() - d429!.lastAttemptAt!.getTime()).toBeGreaterThanOrEqual(29_000);
    await new Promise((r) => setTimeout(r, 150));
    await sweepDueDeliveries(dispatch({ retrySchedule: [0, 50] }), { maxMs: 5_000 });
    expect(at('/429')).toHaveLength(1); // not before Retry-After
    expect(at('/always-500')).toHaveLength(2);
    expect((await deliveriesOf(broken.endpointId))[0]).toMatchObject({
      status: 'failed',
      attempts: 2,
      lastStatus: 500,
    });
  });

  it('410 Gone disables the endpoint: nothing more is sent to it, not even what was queued beside it', async () => {
    const sub = await subscriber('/gone');
    script.set('/gone', [{ status: 410 }]);
    // three results in one partition batch, attempted one at a time: the 410 stops the other two
    await results_(sub.clientId, ['completed', 'completed', 'completed'], 0);
    await notify({ dispatch: { concurrency: 1 } });
    const [endpoint] = await h.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, sub.endpointId));
    expect(endpoint!.status).toBe('disabled');
    expect(at('/gone')).toHaveLength(1);
    const rows = await deliveriesOf(sub.endpointId);
    expect(rows.map((r) => r.status).sort()).toEqual(['cancelled', 'cancelled', 'failed']);
    await results_(sub.clientId, ['completed', 'failed']);
    await notify();
    await sweepDueDeliveries(dispatch(), { maxMs: 2_000 });
    expect(at('/gone')).toHaveLength(1);
    expect(await deliveriesOf(sub.endpointId)).toHaveLength(3);
    const shown = (await (
      await h.app.request(`/v1/webhooks/${sub.endpointId}`, {
        headers: { authorization: `Bearer ${sub.apiKey}` },
      })
    ).json()) as { status: string; disabled_reason: string };
    expect(shown).toMatchObject({ status: 'disabled', disabled_reason: expect.stringMatching(/410/) });
  });

  it('refuses loopback, private and metadata destinations (SSRF), at registration and at delivery', async () => {
    const strict = createApp({
      db: h.db,
      publish: async () => {},
      jobsTopic: h.topics.jobs,
      resultsTopic: h.topics.results,
      uploadMaxBytes: 1024,
      publishing: { leaseMs: 15_000, timeoutMs: 5_000 },
      logger: testLogger,
      readiness: {},
      webhooks: { allowPrivate: false, secretOverlapMs: 0 },
    });
    for (const url of [
      `${base}/x`,
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]:8080/',
      'http://10.0.0.5/',
      'http://localhost:8080/',
      'http://[::ffff:127.0.0.1]/',
    ]) {
      const res = await strict.request('/v1/webhooks', {
        method: 'POST',
        headers: { authorization: `Bearer ${h.keyA}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url }),
      });
      expect(res.status, url).toBe(422);
      expect(((await res.json()) as { code: string }).code).toBe('WEBHOOK_URL_REFUSED');
    }
    // an endpoint registered while private destinations were allowed is still refused at delivery, and
    // the refusal is final for that delivery: the schedule (300 ms, 600 ms) is not spent on it
    const sub = await subscriber('/ssrf');
    await results_(sub.clientId, ['completed']);
    await notify({ dispatch: { allowPrivate: false } });
    await new Promise((r) => setTimeout(r, 700));
    await sweepDueDeliveries(dispatch({ allowPrivate: false }), { maxMs: 2_000 });
    expect(at('/ssrf')).toHaveLength(0);
    const [d] = await deliveriesOf(sub.endpointId);
    expect(d).toMatchObject({ status: 'failed', attempts: 1, nextAttemptAt: null });
    expect(d!.lastError).toMatch(/refused.*not retried/);
    // the endpoint stays active (the name may be fixed), and a redelivery by hand sends it then
    const [endpoint] = await h.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, sub.endpointId));
    expect(endpoint!.status).toBe('active');
    const again = await h.app.request(`/v1/webhooks/${sub.endpointId}/deliveries/${d!.id}/redeliver`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sub.apiKey}` },
    });
    expect(again.status).toBe(202);
    await sweepDueDeliveries(dispatch(), { maxMs: 2_000 });
    expect(at('/ssrf')).toHaveLength(1);
  });

  it('registration when DNS fails: a name without address is a 422 in our words; a resolver failure that may pass is a 503 with Retry-After', async () => {
    let code = 'ENOTFOUND';
    const strict = createApp({
      db: h.db,
      publish: async () => {},
      jobsTopic: h.topics.jobs,
      resultsTopic: h.topics.results,
      uploadMaxBytes: 1024,
      publishing: { leaseMs: 15_000, timeoutMs: 5_000 },
      logger: testLogger,
      readiness: {},
      webhooks: {
        allowPrivate: false,
        secretOverlapMs: 0,
        // as dns.lookup fails on a host whose resolver does not answer, or for a name that does not exist
        resolve: async (host) => {
          throw Object.assign(new Error(`getaddrinfo ${code} ${host}`), { code, syscall: 'getaddrinfo' });
        },
      },
    });
    const register = () =>
      strict.request('/v1/webhooks', {
        method: 'POST',
        headers: { authorization: `Bearer ${h.keyA}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: 'https://example.com/hook' }),
      });
    const missing = await register();
    expect(missing.status).toBe(422);
    expect(missing.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await missing.json()).toMatchObject({
      code: 'WEBHOOK_URL_REFUSED',
      detail: 'the host name example.com does not resolve to any address',
    });
    for (const transient of ['EAI_AGAIN', 'ETIMEOUT', 'ESERVFAIL']) {
      code = transient;
      const res = await register();
      expect(res.status, transient).toBe(503);
      expect(res.headers.get('retry-after')).toBe('30');
      const body = (await res.json()) as { code: string; detail: string };
      expect(body.code).toBe('WEBHOOK_DNS_UNAVAILABLE');
      expect(body.detail).not.toMatch(/getaddrinfo|EAI_|ETIMEOUT|ESERVFAIL/);
    }
  });

  it('GET …/deliveries pages by cursor (newest first, none skipped or repeated, ties included) and filters by status', async () => {
    const sub = await subscriber('/paged');
    // five deliveries, three created in the same microsecond: only the id orders those
    const same = new Date('2024-01-02T03:04:05.123Z');
    const created = [new Date('2024-01-01T00:00:00Z'), same, same, same, new Date('2024-01-03T00:00:00Z')];
    const rows: (typeof webhookDeliveries.$inferSelect)[] = [];
    for (const [i, createdAt] of created.entries()) {
      const jobId = await seedJob(h.db, sub.clientId, `CV ${randomUUID()}`);
      const [row] = await h.db
        .insert(webhookDeliveries)
        .values({
          endpointId: sub.endpointId,
          clientId: sub.clientId,
          jobId,
          eventType: 'evaluation.completed',
          payload: '{}',
          status: i % 2 === 0 ? 'failed' : 'delivered',
          sourcePartition: 0,
          sourceOffset: BigInt(i),
          createdAt,
        })
        .returning();
      rows.push(row!);
    }
    const newestFirst = [...rows]
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
      .map((r) => r.id);
    const list = async (query: string) => {
      const res = await h.app.request(`/v1/webhooks/${sub.endpointId}/deliveries?${query}`, {
        headers: { authorization: `Bearer ${sub.apiKey}` },
      });
      return {
        status: res.status,
        body: (await res.json()) as {
          items: { id: string; status: string }[];
          next_cursor: string | null;
          code?: string;
        },
      };
    };
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const { status, body } = await list(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(status).toBe(200);
      seen.push(...body.items.map((d) => d.id));
      sizes.push(body.items.length);
      cursor = body.next_cursor;
    } while (cursor && sizes.length < 10);
    expect(sizes).toEqual([2, 2, 1]);
    expect(seen).toEqual(newestFirst);
    // the failed ones, to redeliver, across pages too
    const failed: string[] = [];
    cursor = null;
    do {
      const { body } = await list(`status=failed&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(body.items.every((d) => d.status === 'failed')).toBe(true);
      failed.push(...body.items.map((d) => d.id));
      cursor = body.next_cursor;
    } while (cursor && failed.length < 10);
    expect(failed).toEqual(newestFirst.filter((id) => rows.find((r) => r.id === id)!.status === 'failed'));
    // a cursor this API did not return
    for (const bad of ['nonsense', Buffer.from('{"t":"x","id":"y"}').toString('base64url')]) {
      const { status, body } = await list(`cursor=${bad}`);
      expect(status).toBe(400);
      expect(body.code).toBe('INVALID_CURSOR');
    }
  });

  it('a hanging endpoint holds only its own slot: the others are delivered, a retry is sent when due, and the batch commits, all within its timeout', async () => {
    // one client, three endpoints, three jobs (the audit's setup): /fair-hang never answers, /fair-flaky
    // answers 500 once; two attempts in flight at once, one per endpoint
    const ok = await subscriber('/fair-ok');
    const more = async (path: string) => {
      const res = await h.app.request('/v1/webhooks', {
        method: 'POST',
        headers: { authorization: `Bearer ${ok.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${base}${path}` }),
      });
      return ((await res.json()) as { id: string }).id;
    };
    const hang = await more('/fair-hang');
    const flaky = await more('/fair-flaky');
    script.set('/fair-hang', ['hang', 'hang', 'hang']);
    script.set('/fair-flaky', [{ status: 500 }]);
    await results_(ok.clientId, ['completed', 'completed', 'completed'], 0);
    const timeoutMs = 3_000;
    let firstCommit = 0;
    await notify({
      dispatch: { timeoutMs, retrySchedule: [0, 300], concurrency: 2, endpointConcurrency: 1 },
      hooks: {
        afterCommit: () => {
          firstCommit ||= Date.now();
        },
      },
    });
    const t0 = at('/fair-hang')[0]!.at;
    // the other endpoint's three deliveries do not wait for the hanging one's timeout
    expect(at('/fair-ok')).toHaveLength(3);
    for (const r of at('/fair-ok')) expect(r.at - t0).toBeLessThan(timeoutMs / 2);
    // the 300 ms retry is sent when due, during the session, not after the hanging attempt
    const tries = at('/fair-flaky');
    expect(tries).toHaveLength(4);
    const retried = tries.filter((r) => r.headers['webhook-id'] === tries[0]!.headers['webhook-id']);
    expect(retried).toHaveLength(2);
    expect(retried[1]!.at - t0).toBeLessThan(timeoutMs / 2);
    // the batch committed without waiting on any attempt
    expect(firstCommit).toBeGreaterThan(0);
    expect(firstCommit - t0).toBeLessThan(timeoutMs / 2);
    // leave nothing pending behind for the other tests' sweeps
    for (const id of [ok.endpointId, hang, flaky]) {
      await h.app.request(`/v1/webhooks/${id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${ok.apiKey}` },
      });
    }
  });

  it('an aborted Kafka transaction replays its records without re-sending what was delivered', async () => {
    const sub = await subscriber('/replay');
    const ids = await results_(sub.clientId, ['completed', 'completed']);
    let aborts = 0;
    const { report } = await notify({
      hooks: {
        beforeCommit: () => {
          // the process "dies" after its deliveries, before the offsets commit: the records come again
          if (aborts++ === 0) throw new Error('crash before commit');
        },
      },
    });
    expect(report.aborts).toBeGreaterThanOrEqual(1);
    const got = at('/replay');
    expect(got.map((r) => JSON.parse(r.body).data.job_id).sort()).toEqual([...ids].sort());
    expect(got).toHaveLength(2);
  });

  it("an erasure's tombstone (a null value) is skipped: nothing in the DLQ, no webhook, and the offset moves past it", async () => {
    const sub = await subscriber('/tombstone');
    const [live] = await results_(sub.clientId, ['completed']);
    const erased = await seedJob(h.db, sub.clientId, `CV ${randomUUID()}`);
    // as lib/jobs/erasure.ts sends them: the key, no value (one after a result, one alone)
    const producer = stack.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: results,
      messages: [
        { key: live!, value: null },
        { key: erased, value: null },
      ],
    });
    await producer.disconnect();
    const { report, stats } = await notify();
    expect({ dlq: report.dlq, poison: stats.poison, tombstones: stats.tombstones }).toEqual({
      dlq: 0,
      poison: 0,
      tombstones: 2,
    });
    expect(at('/tombstone').map((r) => JSON.parse(r.body).data.job_id)).toEqual([live]);
    expect(await deliveriesOf(sub.endpointId)).toHaveLength(1);
    const dead = await drainTopic(stack.kafka, dlq, { settleMs: 500 });
    expect(dead.filter((r) => r.key === live || r.key === erased)).toHaveLength(0);
    // committed past them: the next run reads nothing
    expect((await notify()).stats.tombstones).toBe(0);
  });

  it('the result of a job erased before notify read it is skipped; one of a job that never existed is poison', async () => {
    const sub = await subscriber('/erased');
    const ids = await results_(sub.clientId, ['completed', 'completed']);
    // erased after its result was committed to Kafka, before notify read it
    expect(await eraseJob(h.db, sub.clientId, ids[1]!)).toBeDefined();
    const unknown = randomUUID();
    const producer = stack.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: results,
      messages: [{ key: unknown, value: JSON.stringify({ v: 1, job_id: unknown, status: 'completed' }) }],
    });
    await producer.disconnect();
    const { stats } = await notify();
    expect({ erased: stats.erased, poison: stats.poison }).toEqual({ erased: 1, poison: 1 });
    expect(at('/erased').map((r) => JSON.parse(r.body).data.job_id)).toEqual([ids[0]]);
    const dead = await drainTopic(stack.kafka, dlq, { settleMs: 500 });
    expect(dead.filter((r) => r.key === ids[1])).toHaveLength(0);
    expect(dead.filter((r) => r.key === unknown)).toHaveLength(1);
  });

  it('PostgreSQL unreachable for 3 s as notify starts → nothing in its DLQ, every result delivered once', async () => {
    const sub = await subscriber('/outage');
    const ids = await results_(sub.clientId, ['completed', 'failed', 'completed']);
    const pg = new URL(stack.databaseUrl);
    const proxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
    const notifyDb = createDatabase(viaProxy(stack.databaseUrl, proxy), { poolSize: 2 });
    try {
      proxy.cut();
      const restored = new Promise((r) => setTimeout(r, 3000)).then(() => proxy.restore());
      // a database error is not the record's fault: without that rule the engine isolates each record
      // and sends it to the DLQ after its attempts, and its webhook is never created
      const { report } = await notify({ dispatch: { db: notifyDb } });
      await restored;
      expect(report.dlq).toBe(0);
      expect(report.dependencyWaits).toBeGreaterThan(0);
      expect(
        at('/outage')
          .map((r) => JSON.parse(r.body).data.job_id)
          .sort(),
      ).toEqual([...ids].sort());
      expect(await deliveriesOf(sub.endpointId)).toHaveLength(3);
    } finally {
      await closeDatabase(notifyDb);
      await proxy.close();
    }
  });

  it('an attempt whose answer is lost is re-sent with the same webhook-id: dedup by id gives one (negative control)', async () => {
    const sub = await subscriber('/lost-answer');
    script.set('/lost-answer', ['hang']);
    await results_(sub.clientId, ['completed']);
    await notify({ dispatch: { timeoutMs: 500, retrySchedule: [0, 50] } });
    await new Promise((r) => setTimeout(r, 100));
    await sweepDueDeliveries(dispatch({ timeoutMs: 500, retrySchedule: [0, 50] }), { maxMs: 5_000 });
    const got = at('/lost-answer');
    // the raw count sees the duplicate (the check can fail) …
    expect(got).toHaveLength(2);
    // … and it carries the same id, so a receiver deduplicating by webhook-id processes it once
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);
    for (const r of got) expect(() => new Webhook(sub.secret).verify(r.body, r.headers)).not.toThrow();

    // redelivery by hand: the same id and body again
    const [row] = await deliveriesOf(sub.endpointId);
    const res = await h.app.request(`/v1/webhooks/${sub.endpointId}/deliveries/${row!.id}/redeliver`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sub.apiKey}` },
    });
    expect(res.status).toBe(202);
    await sweepDueDeliveries(dispatch(), { maxMs: 5_000 });
    expect(at('/lost-answer')).toHaveLength(3);
    expect(at('/lost-answer')[2]!.headers['webhook-id']).toBe(got[0]!.headers['webhook-id']);
  });

  it('functions/notify runs to drain: sweeps, consumes the results, delivers, reports and exits 0', async () => {
    const sub = await subscriber('/function');
    const ids = await results_(sub.clientId, ['completed', 'failed']);
    const child = runChild('../functions/notify/index.ts', {
      DATABASE_URL: stack.databaseUrl,
      KAFKA_BROKERS: stack.brokers.join(','),
      KAFKA_TOPIC_RESULTS: results,
      KAFKA_TOPIC_NOTIFY_DLQ: dlq,
      KAFKA_TOPIC_PARTITIONS: '12',
      KAFKA_NOTIFY_GROUP: `${stack.prefix}-notify-fn`,
      APP_NAME: stack.prefix,
      NOTIFY_MAX_IDLE_MS: '1500',
      NOTIFY_SESSION_TIMEOUT_MS: '6000',
      WEBHOOKS_ALLOW_PRIVATE: 'true',
      OTEL_SDK_DISABLED: 'true',
      LOG_LEVEL: 'info',
    });
    const { code } = await child.exited;
    expect(code).toBe(0);
    expect(child.lines.some((l) => l.includes('invocation finished'))).toBe(true);
    const got = at('/function').map(
      (r) => (new Webhook(sub.secret).verify(r.body, r.headers) as { data: { job_id: string } }).data.job_id,
    );
    expect(got.sort()).toEqual([...ids].sort());
  });

  it('functions/notify exits 1 when PostgreSQL stays away longer than NOTIFY_OUTAGE_BUDGET_MS, commits nothing, and the next run delivers each result once', async () => {
    // A job platform retries a failed invocation; one that exited 0 would wait for the next schedule.
    // Nothing may be committed past the results it could not turn into deliveries.
    const sub = await subscriber('/fn-outage');
    const topic = stack.topic('results-outage');
    const fnDlq = stack.topic('notify-dlq-outage');
    await stack.createTopics([topic, fnDlq]);
    const ids = await results_(sub.clientId, ['completed', 'failed'], undefined, topic);
    const pg = new URL(stack.databaseUrl);
    const proxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
    const env = (databaseUrl: string) => ({
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: stack.brokers.join(','),
      KAFKA_TOPIC_RESULTS: topic,
      KAFKA_TOPIC_NOTIFY_DLQ: fnDlq,
      KAFKA_TOPIC_PARTITIONS: '12',
      KAFKA_NOTIFY_GROUP: `${stack.prefix}-notify-outage`,
      APP_NAME: stack.prefix,
      NOTIFY_MAX_IDLE_MS: '1500',
      NOTIFY_SESSION_TIMEOUT_MS: '6000',
      NOTIFY_OUTAGE_BUDGET_MS: '2000',
      WEBHOOKS_ALLOW_PRIVATE: 'true',
      OTEL_SDK_DISABLED: 'true',
      LOG_LEVEL: 'info',
    });
    try {
      proxy.cut();
      const away = runChild('../functions/notify/index.ts', env(viaProxy(stack.databaseUrl, proxy)));
      const { code } = await away.exited;
      expect(code).toBe(1);
      expect(away.lines.some((l) => l.includes('"stopReason":"dependency-unavailable"'))).toBe(true);
      expect(at('/fn-outage')).toHaveLength(0);
    } finally {
      await proxy.close();
    }
    const back = runChild('../functions/notify/index.ts', env(stack.databaseUrl));
    expect((await back.exited).code).toBe(0);
    const got = at('/fn-outage').map((r) => JSON.parse(r.body).data.job_id as string);
    expect(got.sort()).toEqual([...ids].sort());
    const dead = await stack.kafka.admin();
    await dead.connect();
    try {
      const offsets = await dead.fetchTopicOffsets(fnDlq);
      expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(0);
    } finally {
      await dead.disconnect();
    }
  }, 120_000);
});
