// The verifier's webhook receiver: two endpoints of the verifier's client on one local HTTP server —
// `main`, which must get every outcome, and `gone`, which answers 410 from the moment its fault fires
// and must then get nothing more. Each request is verified on arrival with the `standardwebhooks`
// package (a receiver's own implementation, not ours; it rejects timestamps older than 5 minutes, so
// it cannot wait until the end of the run) and recorded with what was answered. Its faults: an outage
// (the port refuses connections), a burst of 429 with Retry-After, and the 410.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

export type EndpointName = 'main' | 'gone';

export interface ReceivedDelivery {
  endpoint: EndpointName;
  webhookId: string;
  /** the attempt's webhook-timestamp (whole seconds): when the sender started the attempt */
  timestampS: number;
  arrivedAt: number;
  jobId: string | null;
  eventType: string | null;
  signatureOk: boolean;
  /** the status the receiver answered */
  answered: number;
}

export interface ReceiverOptions {
  /** negative control: verify with a secret that is not the endpoint's */
  wrongSecret?: boolean;
  /** negative control: the receiver acknowledges but forgets every Nth job's deliveries */
  loseEvery?: number;
}

export class WebhookReceiver {
  readonly received: ReceivedDelivery[] = [];
  readonly counters = { outages: 0, answered429: 0, answered410: 0 };
  private secrets = new Map<EndpointName, string>();
  private refusing = false;
  private tooManyUntil = 0;
  private retryAfterS = 1;
  /** when the gone endpoint first answered 410 (undefined: not yet) */
  goneSince?: number;
  private goneFrom = Number.POSITIVE_INFINITY;
  private listener?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly http = createHttpServer((req, res) => this.handle(req, res));
  private lost = new Set<string>();
  private heardOf = new Set<string>();
  private mainJobs = new Set<string>();
  port = 0;
  private o: ReceiverOptions;

  constructor(o: ReceiverOptions = {}) {
    this.o = o;
  }

  async start(): Promise<void> {
    await this.listen(0);
  }

  url(endpoint: EndpointName): string {
    return `http://127.0.0.1:${this.port}/hooks/${endpoint}`;
  }

  /** distinct jobs the main endpoint has heard of */
  get jobsHeard(): number {
    return this.mainJobs.size;
  }

  setSecret(endpoint: EndpointName, secret: string): void {
    this.secrets.set(endpoint, secret);
  }

  /** The port refuses connections for `ms` (open ones are dropped), then listens again. */
  async outage(ms: number): Promise<void> {
    this.refusing = true;
    this.counters.outages += 1;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.listener!.close(() => r()));
    await new Promise((r) => setTimeout(r, ms));
    await this.listen(this.port);
    this.refusing = false;
  }

  /** Every request to `main` is answered 429 with Retry-After for `ms`. */
  tooMany(ms: number, retryAfterS: number): void {
    this.tooManyUntil = Date.now() + ms;
    this.retryAfterS = retryAfterS;
  }

  /** From now on `gone` answers 410 to everything. */
  goGone(): void {
    this.goneFrom = Date.now();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.listener ? this.listener.close(() => r()) : r()));
    this.http.close();
  }

  private async listen(port: number): Promise<void> {
    const listener = createNetServer((socket) => {
      if (this.refusing) {
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      this.http.emit('connection', socket);
    });
    // the port was ours a moment ago; a few tries cover a slow release
    for (let attempt = 0; ; attempt++) {
      try {
        await new Promise<void>((resolve, reject) => {
          listener.once('error', reject);
          listener.listen(port, '127.0.0.1', () => {
            listener.off('error', reject);
            resolve();
          });
        });
        break;
      } catch (err) {
        if (attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    this.listener = listener;
    this.port = (listener.address() as { port: number }).port;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const endpoint = req.url?.endsWith('/gone') ? 'gone' : 'main';
      const body = Buffer.concat(chunks).toString('utf8');
      const header = (name: string) => String(req.headers[name] ?? '');
      const headers = {
        'webhook-id': header('webhook-id'),
        'webhook-timestamp': header('webhook-timestamp'),
        'webhook-signature': header('webhook-signature'),
      };
      let payload: { type?: string; data?: { job_id?: string } } = {};
      let signatureOk = false;
      try {
        const secret = this.o.wrongSecret
          ? 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
          : (this.secrets.get(endpoint) ?? '');
        payload = new Webhook(secret).verify(body, headers) as typeof payload;
        signatureOk = true;
      } catch {
        try {
          payload = JSON.parse(body);
        } catch {}
      }
      const now = Date.now();
      let answered = 204;
      if (endpoint === 'gone' && now >= this.goneFrom) {
        answered = 410;
        this.goneSince ??= now;
        this.counters.answered410 += 1;
      } else if (endpoint === 'main' && now < this.tooManyUntil) {
        answered = 429;
        this.counters.answered429 += 1;
      }
      const jobId = payload.data?.job_id ?? null;
      if (endpoint === 'main' && jobId) this.mainJobs.add(jobId);
      const record: ReceivedDelivery = {
        endpoint,
        webhookId: headers['webhook-id'],
        timestampS: Number(headers['webhook-timestamp']),
        arrivedAt: now,
        jobId,
        eventType: payload.type ?? null,
        signatureOk,
        answered,
      };
      if (!this.forgets(jobId)) this.received.push(record);
      if (answered === 429) res.setHeader('retry-after', String(this.retryAfterS));
      res.writeHead(answered).end();
    });
  }

  /** The lossy-receiver control: forgets every Nth distinct job it hears of (still answering 2xx). */
  private forgets(jobId: string | null): boolean {
    const every = this.o.loseEvery;
    if (!every || !jobId) return false;
    if (this.heardOf.has(jobId)) return this.lost.has(jobId);
    this.heardOf.add(jobId);
    if (this.heardOf.size % every === 0) this.lost.add(jobId);
    return this.lost.has(jobId);
  }
}
