// G7, webhooks: what the verifier's own receiver heard, checked against the jobs in PostgreSQL. Every
// completed or failed job reached the main endpoint at least once (a 2xx answered) with its event type;
// every request for one job carried one webhook-id (so deduplicating by id leaves exactly one per job);
// every signature verified with the `standardwebhooks` package; and no attempt reached the endpoint
// disabled by its 410 once the disable was committed, beyond the attempts already in flight then (an
// attempt holds a lease of WEBHOOK_TIMEOUT_MS + 15 s, so one started later was claimed after the disable).
// Pure, so tests plant each violation.
import type { JobRow, Violation } from './checks.ts';
import type { ReceivedDelivery } from './webhook-receiver.ts';

export interface WebhookEvidence {
  jobs: JobRow[];
  received: ReceivedDelivery[];
  /** when PostgreSQL recorded the gone endpoint as disabled (null: never disabled) */
  goneDisabledAt: number | null;
  /** how long after the disable an attempt claimed before it may still start */
  inFlightGraceMs: number;
}

export interface WebhookFigures {
  /** every request the receiver heard, both endpoints, whatever it answered */
  deliveries: number;
  /** distinct webhook-ids among them */
  distinctIds: number;
  /** requests for an id the receiver had already acknowledged (2xx): the at-least-once duplicates */
  duplicates: number;
  /** requests answered 429 or 410 (attempts on refused connections are not heard at all) */
  notAcknowledged: number;
  jobsMissingDelivery: number;
  badSignatures: number;
  deliveriesAfterDisable: number;
}

const expectedType = (status: string) =>
  status === 'completed' ? 'evaluation.completed' : status === 'failed' ? 'evaluation.failed' : null;

export function checkWebhooks(e: WebhookEvidence): { violations: Violation[]; figures: WebhookFigures } {
  const v: Violation[] = [];
  const byJob = new Map<string, ReceivedDelivery[]>();
  const acked = new Set<string>();
  let duplicates = 0;
  let badSignatures = 0;
  let afterDisable = 0;
  for (const r of [...e.received].sort((a, b) => a.arrivedAt - b.arrivedAt)) {
    if (!r.signatureOk) {
      badSignatures += 1;
      v.push({ kind: 'webhook-bad-signature', guarantee: 'G7', id: r.webhookId, detail: r.endpoint });
    }
    const ok = r.answered >= 200 && r.answered < 300;
    if (ok && acked.has(r.webhookId)) duplicates += 1;
    if (ok) acked.add(r.webhookId);
    const key = `${r.endpoint}/${r.jobId}/${r.eventType}`;
    byJob.set(key, [...(byJob.get(key) ?? []), r]);
    if (
      r.endpoint === 'gone' &&
      e.goneDisabledAt !== null &&
      r.timestampS * 1000 > e.goneDisabledAt + e.inFlightGraceMs
    ) {
      afterDisable += 1;
      v.push({
        kind: 'webhook-after-disable',
        guarantee: 'G7',
        id: r.webhookId,
        detail: `attempt started ${Math.round(r.timestampS * 1000 - e.goneDisabledAt)} ms after the disable`,
      });
    }
  }
  for (const [key, list] of byJob) {
    const ids = new Set(list.map((r) => r.webhookId));
    if (ids.size > 1)
      v.push({ kind: 'webhook-ids-differ', guarantee: 'G7', id: key, detail: [...ids].join(',') });
  }
  const jobs = new Map(e.jobs.map((j) => [j.id, j]));
  let missing = 0;
  for (const j of e.jobs) {
    const type = expectedType(j.status);
    if (!type) continue;
    const heard = byJob.get(`main/${j.id}/${type}`) ?? [];
    if (!heard.some((r) => r.answered >= 200 && r.answered < 300)) {
      missing += 1;
      v.push({
        kind: 'webhook-missing',
        guarantee: 'G7',
        id: j.id,
        detail: heard.length ? `${heard.length} attempts heard, none acknowledged` : type,
      });
    }
  }
  for (const r of e.received) {
    const job = r.jobId ? jobs.get(r.jobId) : undefined;
    if (!job || expectedType(job.status) !== r.eventType)
      v.push({
        kind: 'webhook-wrong-event',
        guarantee: 'G7',
        id: r.webhookId,
        detail: `${r.eventType} for job ${r.jobId} (${job?.status ?? 'unknown'})`,
      });
  }
  return {
    violations: v,
    figures: {
      deliveries: e.received.length,
      distinctIds: new Set(e.received.map((r) => r.webhookId)).size,
      duplicates,
      notAcknowledged: e.received.filter((r) => r.answered < 200 || r.answered >= 300).length,
      jobsMissingDelivery: missing,
      badSignatures,
      deliveriesAfterDisable: afterDisable,
    },
  };
}
