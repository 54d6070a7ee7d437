// Webhook endpoints, their signing secrets and deliveries. Delivery state lives here and nowhere else:
// a delivery is created once per (endpoint, job, event), tagged with the result record it came from;
// a retry due later is its next_attempt_at; an attempt in flight holds a lease (locked_until) so two
// notify instances do not send it at once, and a crashed instance's lease simply expires.
import { and, desc, eq, inArray, ne, sql } from 'drizzle-orm';
import type { Database } from './database.ts';
import { lockedJobs } from './job-locks.ts';
import { webhookDeliveries, webhookEndpoints, webhookSecrets } from './schema.ts';
import { traced } from './trace.ts';

export type EndpointRow = typeof webhookEndpoints.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;

async function createEndpointUntraced(
  db: Database,
  e: { clientId: string; url: string; eventTypes: string[]; description: string | null },
  secret: string,
): Promise<EndpointRow> {
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(webhookEndpoints).values(e).returning();
    await tx.insert(webhookSecrets).values({ endpointId: row!.id, secret });
    return row!;
  });
}

async function listEndpointsUntraced(db: Database, clientId: string): Promise<EndpointRow[]> {
  return db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.clientId, clientId), ne(webhookEndpoints.status, 'deleted')))
    .orderBy(desc(webhookEndpoints.createdAt), desc(webhookEndpoints.id));
}

async function getEndpointUntraced(
  db: Database,
  clientId: string,
  id: string,
): Promise<EndpointRow | undefined> {
  const [row] = await db
    .select()
    .from(webhookEndpoints)
    .where(
      and(
        eq(webhookEndpoints.clientId, clientId),
        eq(webhookEndpoints.id, id),
        ne(webhookEndpoints.status, 'deleted'),
      ),
    );
  return row;
}

/** Stops an endpoint (deleted by its owner, or disabled after a 410) and cancels what it still had pending. */
async function stopEndpointUntraced(
  db: Database,
  id: string,
  status: 'disabled' | 'deleted',
  reason: string,
  clientId?: string,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(webhookEndpoints)
      .set({
        status,
        disabledReason: reason,
        disabledAt: sql`coalesce(${webhookEndpoints.disabledAt}, now())`,
      })
      .where(
        and(
          eq(webhookEndpoints.id, id),
          ne(webhookEndpoints.status, 'deleted'),
          ...(clientId ? [eq(webhookEndpoints.clientId, clientId)] : []),
        ),
      )
      .returning({ id: webhookEndpoints.id });
    if (rows.length === 0) return false;
    await tx
      .update(webhookDeliveries)
      .set({
        status: 'cancelled',
        lastError: `endpoint ${status}: ${reason}`,
        nextAttemptAt: null,
        lockedUntil: null,
      })
      .where(and(eq(webhookDeliveries.endpointId, id), eq(webhookDeliveries.status, 'pending')));
    return true;
  });
}

/**
 * Rotation: the newest secret stays live for `overlapMs` more, older ones end now, and the new one is
 * added, so at most two are live and both sign every delivery meanwhile.
 */
async function rotateSecretUntraced(
  db: Database,
  clientId: string,
  endpointId: string,
  secret: string,
  overlapMs: number,
): Promise<{ expiresAt: Date } | undefined> {
  return db.transaction(async (tx) => {
    const [endpoint] = await tx
      .select({ id: webhookEndpoints.id })
      .from(webhookEndpoints)
      .where(
        and(
          eq(webhookEndpoints.id, endpointId),
          eq(webhookEndpoints.clientId, clientId),
          ne(webhookEndpoints.status, 'deleted'),
        ),
      )
      .for('update');
    if (!endpoint) return undefined;
    const live = await tx.execute<{ id: string }>(sql`
      select id from webhook_secrets where endpoint_id = ${endpointId} and (expires_at is null or expires_at > now())
      order by created_at desc, id desc`);
    const [newest, ...older] = [...live].map((r) => r.id);
    if (older.length) {
      await tx.update(webhookSecrets).set({ expiresAt: sql`now()` }).where(inArray(webhookSecrets.id, older));
    }
    const [expiring] = newest
      ? await tx
          .update(webhookSecrets)
          .set({ expiresAt: sql`now() + ${`${overlapMs} milliseconds`}::interval` })
          .where(eq(webhookSecrets.id, newest))
          .returning({ expiresAt: webhookSecrets.expiresAt })
      : [];
    await tx.insert(webhookSecrets).values({ endpointId, secret });
    return { expiresAt: expiring?.expiresAt ?? new Date() };
  });
}

/** Live secrets per endpoint, newest first. */
async function liveSecretsUntraced(db: Database, endpointIds: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  if (endpointIds.length === 0) return map;
  const rows = await db
    .select({ endpointId: webhookSecrets.endpointId, secret: webhookSecrets.secret })
    .from(webhookSecrets)
    .where(
      and(
        inArray(webhookSecrets.endpointId, endpointIds),
        sql`(${webhookSecrets.expiresAt} is null or ${webhookSecrets.expiresAt} > now())`,
      ),
    )
    .orderBy(desc(webhookSecrets.createdAt), desc(webhookSecrets.id));
  for (const r of rows) map.set(r.endpointId, [...(map.get(r.endpointId) ?? []), r.secret]);
  return map;
}

export interface NewDeliveryEvent {
  jobId: string;
  clientId: string;
  eventType: string;
  payload: string;
  sourceOffset: bigint;
}

/**
 * Creates the deliveries of these events for every active endpoint of their client that wants the
 * event type (insert-if-absent: a replayed or duplicate result record creates nothing new).
 */
async function createDeliveriesUntraced(
  db: Database,
  partition: number,
  events: NewDeliveryEvent[],
): Promise<void> {
  if (events.length === 0) return;
  const values = sql.join(
    events.map(
      (e) =>
        sql`(${e.jobId}::uuid, ${e.clientId}::uuid, ${e.eventType}, ${e.payload}, ${e.sourceOffset.toString()}::bigint)`,
    ),
    sql`, `,
  );
  // Only for jobs that still exist: a job erased after its result event was written has no delivery (its
  // result is gone; the insert's foreign key would fail the whole group). The jobs are locked KEY SHARE in
  // id order (lib/db/job-locks.ts), which an erasure's FOR UPDATE waits for or waits on, so none is erased
  // between this check and the insert.
  await db.execute(sql`
    with v(job_id, client_id, event_type, payload, source_offset) as (values ${values}),
    alive as (${lockedJobs(
      events.map((e) => e.jobId),
      'key share',
    )})
    insert into webhook_deliveries
      (endpoint_id, client_id, job_id, event_type, payload, next_attempt_at, source_partition, source_offset)
    select e.id, v.client_id, v.job_id, v.event_type, v.payload, now(), ${partition}, v.source_offset
    from v
    join webhook_endpoints e on e.client_id = v.client_id and e.status = 'active' and v.event_type = any(e.event_types)
    where v.job_id in (select id from alive)
    on conflict (endpoint_id, job_id, event_type) do nothing`);
}

export type ClaimedDelivery = {
  id: string;
  endpointId: string;
  url: string;
  payload: string;
  attempts: number;
  /** the result record it came from (its offset in source_partition) */
  sourcePartition: number;
  sourceOffset: string;
};

const claimColumns = sql`d.id, d.endpoint_id as "endpointId", e.url, d.payload, d.attempts, d.source_partition as "sourcePartition", d.source_offset::text as "sourceOffset"`;

export interface ClaimRequest {
  /** how many to lease at most (the sender's free slots) */
  limit: number;
  /** attempts in flight per endpoint that an endpoint may hold at most */
  perEndpoint: number;
  /** attempts this sender already has in flight, per endpoint */
  busy: ReadonlyMap<string, number>;
  leaseMs: number;
}

/**
 * Leases due deliveries of active endpoints, oldest due first, but never more per endpoint than its free
 * slots: a slow endpoint's backlog cannot take every slot, and endpoints already full are not even
 * scanned, so the others' due deliveries are reached behind any backlog. The scan window is locked SKIP
 * LOCKED (another sender's candidates are passed over); the window function ranks outside it because
 * FOR UPDATE is refused beside one.
 */
async function claimDueUntraced(db: Database, r: ClaimRequest): Promise<ClaimedDelivery[]> {
  if (r.limit <= 0) return [];
  const busy = JSON.stringify([...r.busy].map(([endpoint_id, n]) => ({ endpoint_id, n })));
  const scan = Math.max(200, r.limit * 4);
  const rows = await db.execute<ClaimedDelivery>(sql`
    with busy as (select * from jsonb_to_recordset(${busy}::jsonb) as b(endpoint_id uuid, n int))
    update webhook_deliveries d set locked_until = now() + ${`${r.leaseMs} milliseconds`}::interval
    from webhook_endpoints e
    where e.id = d.endpoint_id and d.id in (
      select ranked.id from (
        select c.id, c.due,
          row_number() over (partition by c.endpoint_id order by c.due, c.id)
            + coalesce((select b.n from busy b where b.endpoint_id = c.endpoint_id), 0) as slot
        from (
          select dd.id, dd.endpoint_id, dd.next_attempt_at as due
          from webhook_deliveries dd join webhook_endpoints ee on ee.id = dd.endpoint_id
          where dd.status = 'pending' and dd.next_attempt_at <= now() and ee.status = 'active'
            and (dd.locked_until is null or dd.locked_until < now())
            and not exists (select 1 from busy b where b.endpoint_id = dd.endpoint_id and b.n >= ${r.perEndpoint})
          order by dd.next_attempt_at
          limit ${scan}
          for update of dd skip locked) c
      ) ranked
      where ranked.slot <= ${r.perEndpoint}
      order by ranked.due, ranked.id
      limit ${r.limit})
    returning ${claimColumns}`);
  return [...rows];
}

export type AttemptRecord =
  | { kind: 'delivered'; status: number; startedAt: Date }
  | { kind: 'retry'; status?: number; error: string; delayMs: number; startedAt: Date }
  | { kind: 'failed'; status?: number; error: string; startedAt: Date };

async function recordAttemptUntraced(db: Database, id: string, a: AttemptRecord): Promise<void> {
  const common = {
    attempts: sql`${webhookDeliveries.attempts} + 1`,
    lockedUntil: null,
    lastStatus: a.status ?? null,
    lastError: a.kind === 'delivered' ? null : a.error.slice(0, 500),
    firstAttemptAt: sql`coalesce(${webhookDeliveries.firstAttemptAt}, ${a.startedAt.toISOString()}::timestamptz)`,
    lastAttemptAt: a.startedAt,
  };
  const specific =
    a.kind === 'delivered'
      ? { status: 'delivered' as const, deliveredAt: sql`now()`, nextAttemptAt: null }
      : a.kind === 'retry'
        ? { nextAttemptAt: sql`now() + ${`${a.delayMs} milliseconds`}::interval` }
        : { status: 'failed' as const, nextAttemptAt: null };
  await db
    .update(webhookDeliveries)
    .set({ ...common, ...specific })
    .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.status, 'pending')));
}

/**
 * An attempt given up because its instance is stopping: its lease is given back, so the next instance
 * sends it at once (not after the lease), and it is not counted: the endpoint was not found wanting.
 */
async function releaseDeliveryUntraced(db: Database, id: string): Promise<void> {
  await db
    .update(webhookDeliveries)
    .set({ lockedUntil: null })
    .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.status, 'pending')));
}

/** Redelivery by hand: the same delivery (same webhook-id, same body) is due now, on a fresh schedule. */
async function redeliverUntraced(db: Database, clientId: string, endpointId: string, deliveryId: string) {
  const [row] = await db.execute<{ id: string }>(sql`
    update webhook_deliveries d
    set status = 'pending', attempts = 0, next_attempt_at = now(), locked_until = null
    from webhook_endpoints e
    where e.id = d.endpoint_id and e.status = 'active' and e.client_id = ${clientId}
      and d.id = ${deliveryId} and d.endpoint_id = ${endpointId} and d.status <> 'pending'
    returning d.id`);
  return row?.id;
}

export interface DeliveryListOptions {
  status?: DeliveryRow['status'];
  limit: number;
  /** created_at (microseconds, as cursorTime gives it) and id of the last delivery of the previous page */
  after?: { createdAt: string; id: string };
}

/** An endpoint's deliveries, newest first, by keyset: pages neither skip nor repeat rows added meanwhile. */
async function listDeliveriesUntraced(
  db: Database,
  clientId: string,
  endpointId: string,
  o: DeliveryListOptions,
) {
  const conditions = [eq(webhookDeliveries.clientId, clientId), eq(webhookDeliveries.endpointId, endpointId)];
  if (o.status) conditions.push(eq(webhookDeliveries.status, o.status));
  if (o.after) {
    conditions.push(
      sql`(${webhookDeliveries.createdAt}, ${webhookDeliveries.id}) < (${o.after.createdAt}::timestamptz, ${o.after.id}::uuid)`,
    );
  }
  return db
    .select({
      row: webhookDeliveries,
      // microsecond precision for the cursor: a JS Date would lose it and skip rows
      cursorTime: sql<string>`to_char(${webhookDeliveries.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    })
    .from(webhookDeliveries)
    .where(and(...conditions))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(o.limit);
}

async function getDeliveryUntraced(db: Database, clientId: string, endpointId: string, id: string) {
  const [row] = await db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.clientId, clientId),
        eq(webhookDeliveries.endpointId, endpointId),
        eq(webhookDeliveries.id, id),
      ),
    );
  return row;
}

export const getDelivery = traced('getDelivery', getDeliveryUntraced);
export const createEndpoint = traced('createEndpoint', createEndpointUntraced);
export const listEndpoints = traced('listEndpoints', listEndpointsUntraced);
export const getEndpoint = traced('getEndpoint', getEndpointUntraced);
export const stopEndpoint = traced('stopEndpoint', stopEndpointUntraced);
export const rotateSecret = traced('rotateSecret', rotateSecretUntraced);
export const liveSecrets = traced('liveSecrets', liveSecretsUntraced);
export const createDeliveries = traced('createDeliveries', createDeliveriesUntraced);
export const claimDue = traced('claimDue', claimDueUntraced);
export const recordAttempt = traced('recordAttempt', recordAttemptUntraced);

export const releaseDelivery = traced('releaseDelivery', releaseDeliveryUntraced);
export const redeliver = traced('redeliver', redeliverUntraced);
export const listDeliveries = traced('listDeliveries', listDeliveriesUntraced);
