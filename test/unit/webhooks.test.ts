import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebhookCreate } from '../../lib/api/schemas.ts';
import {
  DnsUnavailableError,
  ForbiddenDestinationError,
  forbiddenAddressReason,
  pinnedLookup,
  RESOLVE_TIMEOUT_MS,
  resolveAllowed,
  UnresolvableHostError,
} from '../../lib/webhooks/address-guard.ts';
import { evaluationEvent } from '../../lib/webhooks/payload.ts';
import {
  defaultRetrySchedule,
  MAX_RETRY_AFTER_MS,
  nextDelayMs,
  parseRetryAfter,
  parseSchedule,
} from '../../lib/webhooks/schedule.ts';
import { sendWebhook } from '../../lib/webhooks/send.ts';
import { generateSecret, signDelivery, webhookId } from '../../lib/webhooks/signing.ts';

describe('signatures', () => {
  const body = JSON.stringify(
    evaluationEvent({ jobId: '0b5e3f4c-1111-4222-8333-444455556666', status: 'completed', at: new Date() }),
  );

  it('verify with the standardwebhooks package', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const headers = signDelivery(webhookId('0b5e3f4c-1111-4222-8333-444455556666'), body, [secret]);
    expect(headers['webhook-id']).toBe('msg_0b5e3f4c111142228333444455556666');
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('fail to verify with another secret or a changed body, id or timestamp', () => {
    const secret = generateSecret();
    const headers = signDelivery('msg_1', body, [secret]);
    expect(() => new Webhook(generateSecret()).verify(body, { ...headers })).toThrow();
    expect(() => new Webhook(secret).verify(`${body} `, { ...headers })).toThrow();
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'msg_2' })).toThrow();
    const ts = String(Number(headers['webhook-timestamp']) - 1);
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-timestamp': ts })).toThrow();
  });

  it('carry one signature per live secret during a rotation: either secret alone verifies', () => {
    const [old, fresh] = [generateSecret(), generateSecret()];
    const headers = signDelivery('msg_rot', body, [fresh, old]);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(old).verify(body, { ...headers })).not.toThrow();
    expect(() => new Webhook(fresh).verify(body, { ...headers })).not.toThrow();
  });

  it('are refused by receivers when stale (every attempt is signed with its own timestamp)', () => {
    const secret = generateSecret();
    const headers = signDelivery('msg_old', body, [secret], new Date(Date.now() - 10 * 60_000));
    expect(() => new Webhook(secret).verify(body, { ...headers })).toThrow(/timestamp/i);
  });

  it('thin payloads carry ids, status and links only', () => {
    const p = evaluationEvent(
      { jobId: 'j1', status: 'failed', positionId: 'p1', positionVersion: 2, at: new Date(0) },
      'https://api.example.com/',
    );
    expect(p).toEqual({
      type: 'evaluation.failed',
      timestamp: '1970-01-01T00:00:00.000Z',
      data: {
        job_id: 'j1',
        status: 'failed',
        position_id: 'p1',
        position_version: 2,
        links: {
          result: 'https://api.example.com/v1/result/j1',
          position: 'https://api.example.com/v1/positions/p1',
          ranking: 'https://api.example.com/v1/positions/p1/ranking',
        },
      },
    });
  });
});

describe('retry schedule', () => {
  const spec = parseSchedule(defaultRetrySchedule);

  it("is the specification's: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h", () => {
    expect(spec).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect([0, 1, 2, 7].map((n) => nextDelayMs(spec, n))).toEqual([0, 5_000, 300_000, 36_000_000]);
    expect(nextDelayMs(spec, 8)).toBeNull();
  });

  it('honours Retry-After without bringing an attempt forward, capped at a day', () => {
    expect(nextDelayMs(spec, 1, 60_000)).toBe(60_000);
    expect(nextDelayMs(spec, 2, 1_000)).toBe(300_000);
    expect(nextDelayMs(spec, 1, 10 * MAX_RETRY_AFTER_MS)).toBe(MAX_RETRY_AFTER_MS);
    expect(nextDelayMs(spec, 8, 1_000)).toBeNull();
  });

  it('parses compressed schedules and refuses nonsense', () => {
    expect(parseSchedule('0, 50ms,1s,2m')).toEqual([0, 50, 1000, 120_000]);
    expect(() => parseSchedule('0,soon')).toThrow(/duration/);
    expect(() => parseSchedule('-5s')).toThrow();
  });

  it('reads Retry-After as seconds or an HTTP-date', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter(new Date(Date.now() + 30_000).toUTCString())).toBeGreaterThan(28_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('SSRF guard', () => {
  it.each([
    '127.0.0.1',
    '127.9.9.9',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.100.100.200',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fd00:ec2::254',
    'fc00::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe',
    '64:ff9b::a9fe:a9fe',
    'ff02::1',
  ])('refuses %s', (address) => {
    expect(forbiddenAddressReason(address)).not.toBeNull();
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])(
    'allows %s',
    (a) => {
      expect(forbiddenAddressReason(a)).toBeNull();
    },
  );

  it('refuses a name resolving to a forbidden address, even next to a public one, and localhost names', async () => {
    const resolve = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '169.254.169.254', family: 4 },
    ];
    await expect(resolveAllowed('bait.example', resolve)).rejects.toBeInstanceOf(ForbiddenDestinationError);
    await expect(resolveAllowed('localhost')).rejects.toBeInstanceOf(ForbiddenDestinationError);
    await expect(resolveAllowed('api.localhost')).rejects.toBeInstanceOf(ForbiddenDestinationError);
    await expect(resolveAllowed('[::1]'.slice(1, -1))).rejects.toBeInstanceOf(ForbiddenDestinationError);
    const ok = await resolveAllowed('public.example', async () => [{ address: '93.184.216.34', family: 4 }]);
    expect(ok).toEqual([{ address: '93.184.216.34', family: 4 }]);
  });

  it("tells a name without an address from a resolver failure that may pass, in its own words (not the resolver's)", async () => {
    // as dns.lookup and dns.promises.Resolver throw them
    const failing = (code: string) => async () => {
      throw Object.assign(new Error(`getaddrinfo ${code} hook.example`), { code, syscall: 'getaddrinfo' });
    };
    const refusal = async (resolve: Parameters<typeof resolveAllowed>[1]) =>
      resolveAllowed('hook.example', resolve).then(
        () => expect.unreachable(),
        (err: Error) => err,
      );
    for (const code of ['ENOTFOUND', 'ENODATA']) {
      const err = await refusal(failing(code));
      expect(err, code).toBeInstanceOf(UnresolvableHostError);
      expect(err.message).toBe('the host name hook.example does not resolve to any address');
    }
    expect(await refusal(async () => [])).toBeInstanceOf(UnresolvableHostError);
    for (const code of ['EAI_AGAIN', 'ETIMEOUT', 'ESERVFAIL', 'ECONNREFUSED', 'EAI_FAIL']) {
      const err = await refusal(failing(code));
      expect(err, code).toBeInstanceOf(DnsUnavailableError);
      expect((err as DnsUnavailableError).code).toBe('WEBHOOK_DNS_UNAVAILABLE');
      expect(err.message).not.toMatch(/getaddrinfo|EAI_|ETIMEOUT/);
    }
  });

  it('a lookup that never answers is a resolver failure that may pass, after RESOLVE_TIMEOUT_MS', async () => {
    vi.useFakeTimers();
    try {
      const pending = resolveAllowed('slow.example', () => new Promise(() => {})).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(RESOLVE_TIMEOUT_MS);
      expect(await pending).toBeInstanceOf(DnsUnavailableError);
    } finally {
      vi.useRealTimers();
    }
  });

  it('resolves once: sendWebhook asks the resolver one time and refuses before connecting', async () => {
    let calls = 0;
    const server = await receiver(() => 200);
    const outcome = await sendWebhook({
      url: `http://rebind.example:${server.port}/hook`,
      body: '{}',
      headers: {},
      timeoutMs: 2_000,
      allowPrivate: false,
      resolve: async () => {
        calls += 1;
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });
    expect(outcome.kind).toBe('refused');
    expect(calls).toBe(1);
    expect(server.requests).toBe(0);
  });

  it('refuses loopback and metadata literals in URLs without a request', async () => {
    const server = await receiver(() => 200);
    for (const host of ['127.0.0.1', '[::1]', '169.254.169.254', 'localhost']) {
      const outcome = await sendWebhook({
        url: `http://${host}:${server.port}/`,
        body: '{}',
        headers: {},
        timeoutMs: 2_000,
        allowPrivate: false,
      });
      expect(outcome).toMatchObject({ kind: 'refused', error: expect.stringMatching(/refused/) });
    }
    expect(server.requests).toBe(0);
  });

  it('the socket connects to the checked address, not to a second DNS answer', async () => {
    const server = await receiver(() => 204);
    // the host name does not exist in DNS: the request can only reach the server through the pin
    const req = http.request(`http://pinned.invalid:${server.port}/`, {
      method: 'POST',
      agent: false,
      lookup: pinnedLookup([{ address: '127.0.0.1', family: 4 }]) as never,
    });
    req.end('{}');
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    res.resume();
    expect(res.statusCode).toBe(204);
  });
});

describe('sendWebhook (local receiver, private addresses allowed)', () => {
  it('classifies 2xx, 410, 429/503 with Retry-After, other errors and timeouts', async () => {
    const answers = [
      { status: 200 },
      { status: 410 },
      { status: 429, headers: { 'retry-after': '7' } },
      { status: 503, headers: { 'retry-after': '3' } },
      { status: 500, headers: { 'retry-after': '9' } },
      { status: 302, headers: { location: 'http://169.254.169.254/' } },
    ];
    let i = 0;
    const server = await receiver((res) => {
      const a = answers[i++]!;
      res.writeHead(a.status, a.headers);
      return null;
    });
    const send = () =>
      sendWebhook({
        url: `http://127.0.0.1:${server.port}/`,
        body: '{"a":1}',
        headers: { 'webhook-id': 'msg_x' },
        timeoutMs: 2_000,
        allowPrivate: true,
      });
    expect(await send()).toEqual({ kind: 'delivered', status: 200 });
    expect(await send()).toEqual({ kind: 'gone', status: 410 });
    expect(await send()).toMatchObject({ kind: 'failed', status: 429, retryAfterMs: 7_000 });
    expect(await send()).toMatchObject({ kind: 'failed', status: 503, retryAfterMs: 3_000 });
    const five = await send();
    expect(five).toMatchObject({ kind: 'failed', status: 500 });
    expect(five).not.toHaveProperty('retryAfterMs');
    expect(await send()).toMatchObject({ kind: 'failed', status: 302 });
    expect(server.requests).toBe(6);
    expect(server.lastHeaders['webhook-id']).toBe('msg_x');
    expect(server.lastHeaders['content-type']).toBe('application/json');
  });

  it('gives up after the timeout', async () => {
    const server = await receiver(() => 'hang');
    const started = Date.now();
    const outcome = await sendWebhook({
      url: `http://127.0.0.1:${server.port}/`,
      body: '{}',
      headers: {},
      timeoutMs: 300,
      allowPrivate: true,
    });
    expect(outcome).toMatchObject({ kind: 'failed', error: expect.stringMatching(/300 ms/) });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

async function receiver(answer: (res: http.ServerResponse) => number | 'hang' | null) {
  const state = { port: 0, requests: 0, lastHeaders: {} as http.IncomingHttpHeaders };
  const server = http.createServer((req, res) => {
    state.requests += 1;
    state.lastHeaders = req.headers;
    req.resume();
    req.on('end', () => {
      const a = answer(res);
      if (a === 'hang') return;
      if (typeof a === 'number') res.writeHead(a);
      res.end();
    });
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  state.port = (server.address() as AddressInfo).port;
  return state;
}

describe('webhook registration schema', () => {
  // found from outside: ftp:// and file:// were refused with only "Invalid URL", and the README said
  // WEBHOOK_URL_REFUSED
  it('says a URL must be http or https', () => {
    for (const url of ['ftp://example.com/h', 'file:///etc/passwd']) {
      const r = WebhookCreate.safeParse({ url });
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.message).toBe('must be an http:// or https:// URL');
    }
    expect(WebhookCreate.safeParse({ url: 'https://hooks.example.com/cv' }).success).toBe(true);
  });
});
