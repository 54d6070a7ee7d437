// The webhooks of a verifier run (--webhooks, on by default): the receiver, the two endpoints the
// verifier's client registers through the API like any user, the receiver's faults, the wait until
// every delivery has settled, and the evidence and figures of G7 (webhook-checks.ts).
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import type { Database } from '../../lib/db/database.ts';
import { leaseMsFor } from '../../lib/webhooks/dispatcher.ts';
import type { JobRow, Violation } from './checks.ts';
import { log, retrying, sleep, type VerifyOptions } from './options.ts';
import { webhookTimeoutMs } from './stack.ts';
import { checkWebhooks, type WebhookFigures } from './webhook-checks.ts';
import { type EndpointName, WebhookReceiver } from './webhook-receiver.ts';

export class WebhookStage {
  readonly receiver: WebhookReceiver;
  private ids: Partial<Record<EndpointName, string>> = {};
  private o: VerifyOptions;

  constructor(o: VerifyOptions) {
    this.o = o;
    this.receiver = new WebhookReceiver({
      wrongSecret: o.webhookControl === 'wrong-secret',
      loseEvery: o.webhookControl === 'lose-deliveries' ? 25 : undefined,
    });
  }

  async start(): Promise<void> {
    await this.receiver.start();
    log(`webhook receiver on :${this.receiver.port}`);
  }

  /** Registers `main` and `gone` for the verifier's client through POST /v1/webhooks. */
  async register(baseUrl: () => string, apiKey: string): Promise<void> {
    for (const name of ['main', 'gone'] as const) {
      const created = await retrying(`registering the ${name} webhook endpoint`, async () => {
        const res = await fetch(`${baseUrl()}/v1/webhooks`, {
          method: 'POST',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ url: this.receiver.url(name), description: `verifier ${name}` }),
          signal: AbortSignal.timeout(10_000),
        });
        if (res.status !== 201)
          throw new Error(`POST /v1/webhooks answered ${res.status}: ${await res.text()}`);
        return (await res.json()) as { id: string; secret: string };
      });
      this.ids[name] = created.id;
      this.receiver.setSecret(name, created.secret);
    }
  }

  /**
   * The receiver's faults fire at their point of the deliveries' progress, not the submissions' (results
   * trail the submissions by the evaluation time): once the receiver has heard of that fraction of the
   * jobs, or after 3 minutes whatever it heard.
   */
  async whenHeard(fraction: number): Promise<void> {
    const target = fraction * this.o.jobs;
    for (const until = Date.now() + 180_000; Date.now() < until; ) {
      if (this.receiver.jobsHeard >= target) return;
      await sleep(100);
    }
  }

  async outage(): Promise<void> {
    log(`webhook receiver refuses connections for ${this.o.receiverOutageMs} ms`);
    await this.receiver.outage(this.o.receiverOutageMs);
    log('webhook receiver listening again');
  }

  async tooMany(): Promise<void> {
    log('webhook receiver answers 429 (Retry-After: 2) for 3 s');
    this.receiver.tooMany(3000, 2);
    await sleep(3000);
  }

  /**
   * The gone endpoint answers 410 from now on. The reenable-gone control then switches it back on,
   * with its deliveries pending again, every second for 45 s: a 410 that does not stick.
   */
  async gone(db: Database): Promise<void> {
    log('the second webhook endpoint answers 410 from now on');
    this.receiver.goGone();
    if (this.o.webhookControl !== 'reenable-gone') return;
    const id = this.ids.gone!;
    // longer than an attempt's lease (timeout + 15 s), so that what it lets through is told from in-flight
    for (const until = Date.now() + 45_000; Date.now() < until; ) {
      await sleep(1000);
      await retrying('switching the gone endpoint back on', async () => {
        await db.execute(sql`update webhook_endpoints set status = 'active' where id = ${id}`);
        await db.execute(sql`update webhook_deliveries set status = 'pending', next_attempt_at = now(),
          locked_until = null where endpoint_id = ${id} and status in ('cancelled', 'failed')`);
      });
    }
  }

  /**
   * Waits until notify has turned every stored result into a delivery to `main` and nothing is
   * pending any more (retries included), or until `deadline`.
   */
  async settle(dbUrl: string, deadline: number): Promise<void> {
    const q = postgres(dbUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
    try {
      for (;;) {
        const [row] = await retrying(
          'counting webhook deliveries',
          () => q`select (select count(*)::int from results) as results,
            (select count(*)::int from webhook_deliveries where endpoint_id = ${this.ids.main!}) as main,
            (select count(*)::int from webhook_deliveries where status = 'pending') as pending`,
        );
        const { results, main, pending } = row as { results: number; main: number; pending: number };
        if (main >= results && pending === 0) return;
        if (Date.now() > deadline) {
          log(`webhooks not settled: ${main}/${results} results have a delivery, ${pending} pending`);
          return;
        }
        log(`webhook deliveries ${main}/${results}, ${pending} pending`);
        await sleep(2000);
      }
    } finally {
      await q.end({ timeout: 1 }).catch(() => {});
    }
  }

  /** G7 over what the receiver heard, with the delivery rows' figures (run with every process stopped). */
  async check(
    dbUrl: string,
    jobs: JobRow[],
  ): Promise<{ violations: Violation[]; report: Record<string, unknown> }> {
    const q = postgres(dbUrl, { max: 1, onnotice: () => {} });
    try {
      const [gone] = await retrying(
        'reading the gone endpoint',
        () => q`select status, disabled_at from webhook_endpoints where id = ${this.ids.gone!}`,
      );
      const rows = await retrying(
        'reading delivery rows',
        () => q`select case when endpoint_id = ${this.ids.main!} then 'main' else 'gone' end as endpoint,
          status, count(*)::int as n from webhook_deliveries group by 1, 2`,
      );
      // result stored → first attempt of its delivery to main (whatever that attempt met), split at the
      // delivery row's creation: before it, the result event's way (the evaluator's commit, which a
      // killed or frozen evaluator delays until a replay, then notify reading it); after it, notify's own
      const delays = await retrying(
        'measuring the first-attempt delay',
        () => q`with d as (
            select extract(epoch from d.first_attempt_at - r.created_at) * 1000 as total,
                   extract(epoch from d.created_at - r.created_at) * 1000 as to_created,
                   extract(epoch from d.first_attempt_at - d.created_at) * 1000 as to_attempt
            from webhook_deliveries d join results r on r.job_id = d.job_id
            where d.endpoint_id = ${this.ids.main!} and d.first_attempt_at is not null)
          select 'resultStoredToFirstAttempt' as k, percentile_cont(array[0.5, 0.99]) within group (order by total) as p, max(total) as max from d
          union all select 'resultStoredToDeliveryCreated', percentile_cont(array[0.5, 0.99]) within group (order by to_created), max(to_created) from d
          union all select 'deliveryCreatedToFirstAttempt', percentile_cont(array[0.5, 0.99]) within group (order by to_attempt), max(to_attempt) from d`,
      );
      const { violations, figures } = checkWebhooks({
        jobs,
        received: this.receiver.received,
        goneDisabledAt: gone?.disabled_at ? new Date(gone.disabled_at as string).getTime() : null,
        inFlightGraceMs: leaseMsFor(webhookTimeoutMs),
      });
      const ms = (x: unknown) => (x === null || x === undefined ? null : Math.round(Number(x)));
      const report: WebhookFigures & Record<string, unknown> = {
        ...figures,
        firstAttemptDelayMs: Object.fromEntries(
          delays.map((d) => {
            const p = (d.p as number[] | null) ?? [];
            return [d.k as string, { p50: ms(p[0]), p99: ms(p[1]), max: ms(d.max) }];
          }),
        ),
        receiver: this.receiver.counters,
        goneEndpoint: gone?.status ?? 'missing',
        deliveryRows: Object.fromEntries(rows.map((r) => [`${r.endpoint}.${r.status}`, r.n as number])),
        control: this.o.webhookControl ?? 'none',
      };
      return { violations, report };
    } finally {
      await q.end({ timeout: 1 }).catch(() => {});
    }
  }

  close(): Promise<void> {
    return this.receiver.close();
  }
}
