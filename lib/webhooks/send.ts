// One outbound webhook attempt: a signed POST with a hard overall timeout, no redirects followed, the
// answer's body read (bounded) and thrown away. The destination is checked by the SSRF guard and the
// socket connects to the checked address, unless private destinations are allowed (local use, tests).
import http from 'node:http';
import https from 'node:https';
import {
  ForbiddenDestinationError,
  pinnedLookup,
  type Resolve,
  resolveAllowed,
  urlHost,
} from './address-guard.ts';
import { parseRetryAfter } from './schedule.ts';

export interface SendOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  allowPrivate: boolean;
  /** test seam: the DNS resolver */
  resolve?: Resolve;
  /** the instance is stopping: the attempt is given up (not counted) and sent again by whoever comes next */
  signal?: AbortSignal;
}

export type AttemptOutcome =
  | { kind: 'delivered'; status: number }
  /** 410 Gone: the receiver wants no more deliveries; the endpoint is disabled */
  | { kind: 'gone'; status: 410 }
  /** the SSRF guard refused the destination: no attempt on the schedule would be allowed either */
  | { kind: 'refused'; error: string }
  | { kind: 'failed'; status?: number; retryAfterMs?: number; error: string }
  /** given up because the instance is stopping: no answer is known, the delivery is sent again */
  | { kind: 'interrupted' };

const MAX_RESPONSE_BYTES = 64 * 1024;

export async function sendWebhook(o: SendOptions): Promise<AttemptOutcome> {
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    return { kind: 'failed', error: 'the endpoint URL is not valid' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { kind: 'failed', error: 'the endpoint URL is not http(s)' };
  }
  const deadline = Date.now() + o.timeoutMs;
  let lookup: ReturnType<typeof pinnedLookup> | undefined;
  if (!o.allowPrivate) {
    try {
      lookup = pinnedLookup(await resolveAllowed(urlHost(url), o.resolve));
    } catch (err) {
      if (err instanceof ForbiddenDestinationError) return { kind: 'refused', error: err.message };
      // a name without address, or DNS failing for now: both may pass, so the schedule goes on
      return { kind: 'failed', error: err instanceof Error ? err.message : String(err) };
    }
  }
  const remaining = Math.max(1, deadline - Date.now());
  if (o.signal?.aborted) return { kind: 'interrupted' };
  return new Promise<AttemptOutcome>((resolve) => {
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(o.body)),
        'user-agent': 'cv-evaluator-webhooks/1',
        ...o.headers,
      },
      // a fresh connection per attempt: a pooled socket would skip the checked lookup
      agent: false,
      ...(lookup ? { lookup: lookup as never } : {}),
    });
    const timer = setTimeout(() => {
      request.destroy(new Error(`no answer within ${o.timeoutMs} ms`));
    }, remaining);
    // an answer's status, once it arrived, is the outcome even if the stop cuts its body short
    let interrupted = false;
    let answered = false;
    const interrupt = () => {
      if (answered) return;
      interrupted = true;
      request.destroy(new Error('the instance is stopping'));
    };
    o.signal?.addEventListener('abort', interrupt, { once: true });
    const finish = (outcome: AttemptOutcome) => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', interrupt);
      resolve(interrupted ? { kind: 'interrupted' } : outcome);
    };
    request.on('error', (err) => finish({ kind: 'failed', error: err.message }));
    request.on('response', (res) => {
      answered = true;
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) res.destroy();
      });
      const status = res.statusCode ?? 0;
      const done = () => finish(classify(status, res.headers['retry-after']));
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    request.end(o.body);
  });
}

function classify(status: number, retryAfter: string | string[] | undefined): AttemptOutcome {
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (status === 410) return { kind: 'gone', status: 410 };
  const header = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(header) : undefined;
  return {
    kind: 'failed',
    status,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    error: `the endpoint answered ${status}`,
  };
}
