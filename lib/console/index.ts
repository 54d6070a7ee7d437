// The recruiter console: server-rendered pages under /app, assets under /assets, the API reference at
// /docs. Reads come from the same tenant-scoped queries as the API; uploads and evaluations go through
// the API in-process (lib/console/api.ts), positions and erasure call the lib functions the API's routes
// call. Mounted by lib/api/app.ts.
import { createHash } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { html } from 'hono/html';
import { secureHeaders } from 'hono/secure-headers';
import { z } from 'zod';
import { findClientByKey, hashApiKey } from '../db/api-clients.ts';
import { clientDocuments } from '../db/console-documents.ts';
import { closeConsoleSession, openConsoleSession } from '../db/console-sessions.ts';
import { dashboardStats } from '../db/console-stats.ts';
import type { Database } from '../db/database.ts';
import { getClientJob } from '../db/jobs.ts';
import { jobStatuses } from '../db/schema.ts';
import type { ErasureDeps } from '../jobs/erasure.ts';
import { type ApiCall, plainWords, readProblem } from './api.ts';
import { mountAssets } from './assets.ts';
import { type ConsoleEnv, clearSessionCookie, requireSession, sameOrigin, setSessionCookie } from './auth.ts';
import { mountDocs } from './docs.ts';
import { mountErasure } from './erasure.ts';
import { digest, type Nav, page } from './layout.ts';
import { candidatesPage } from './pages/candidates.ts';
import { dashboardFigures, type QueueStats } from './pages/dashboard.ts';
import { type Filters, type JobItem, jobsPage, jobTable } from './pages/jobs.ts';
import { outcome, resultPage } from './pages/result.ts';
import { signInPage } from './pages/sign-in.ts';
import { mountPositions } from './positions.ts';

export interface ConsoleDeps {
  db: Database;
  api: ApiCall;
  uploadMaxBytes: number;
  /** what erasing a candidate needs: the database, and where the results' tombstones go */
  erasure: Omit<ErasureDeps, 'db'>;
  /** whether the API offers a route (pages for positions, ranking and erasure appear when it does) */
  hasRoute: (method: string, path: string) => boolean;
  /** system-wide queue figures for the dashboard, when the process can read them from Kafka */
  queueStats?: () => Promise<QueueStats>;
  sessionTtlMs?: number;
  /** a position's texts the offline reader cannot screen against are refused (ApiDeps.offlineScreening) */
  offlineScreening?: boolean;
}

const SESSION_TTL_MS = 8 * 60 * 60 * 1000;
const uuid = z.uuid();

/** Only local paths: `next` must not send a signed-in user to another site. */
const localPath = (next: string | undefined) => (next && /^\/app(\/[\w\-/]*)?$/.test(next) ? next : '/app');

export function createConsole(deps: ConsoleDeps): Hono {
  const ttl = deps.sessionTtlMs ?? SESSION_TTL_MS;
  const root = new Hono();
  mountAssets(root);
  mountDocs(root);
  root.get('/', (c) => c.redirect('/app', 302));

  const app = new Hono<ConsoleEnv>();
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
    }),
  );
  app.use('*', sameOrigin());

  app.get('/sign-in', (c) =>
    c.html(
      signInPage({ next: localPath(c.req.query('next')), signedOut: c.req.query('signed-out') === '1' }),
    ),
  );
  app.post('/sign-in', bodyLimit({ maxSize: 16 * 1024 }), async (c) => {
    const form = await c.req.parseBody();
    const key = typeof form.api_key === 'string' ? form.api_key.trim() : '';
    const next = localPath(typeof form.next === 'string' ? form.next : undefined);
    const client = key ? await findClientByKey(deps.db, key) : undefined;
    if (!client) {
      c.status(401);
      return c.html(signInPage({ next, error: 'That API key is not valid. Check it and try again.' }));
    }
    const session = await openConsoleSession(deps.db, {
      clientId: client.id,
      apiKeyHash: hashApiKey(key),
      ttlMs: ttl,
    });
    setSessionCookie(c, session.token, Math.floor(ttl / 1000));
    return c.redirect(next, 303);
  });

  const signedIn = new Hono<ConsoleEnv>();
  signedIn.use('*', requireSession(deps.db));
  const nav = (c: { get(k: 'session'): ConsoleEnv['Variables']['session'] }, current: string): Nav => ({
    current,
    csrfToken: c.get('session').csrfToken,
    clientName: c.get('session').clientName,
    positions: true,
  });
  const call = (clientId: string, path: string, init: RequestInit = {}) => deps.api(path, init, clientId);
  const queue = async () => (deps.queueStats ? await deps.queueStats().catch(() => undefined) : undefined);

  signedIn.post('/sign-out', async (c) => {
    await closeConsoleSession(deps.db, c.get('sessionToken'));
    clearSessionCookie(c);
    return c.redirect('/app/sign-in?signed-out=1', 303);
  });

  signedIn.get('/', async (c) => {
    const stats = await dashboardStats(deps.db, c.get('session').clientId);
    return c.html(page('Dashboard', dashboardFigures(stats, await queue()), nav(c, '/app')));
  });
  signedIn.get('/dashboard/figures', async (c) => {
    const [stats, q] = await Promise.all([dashboardStats(deps.db, c.get('session').clientId), queue()]);
    if (c.req.query('seen') === digest({ stats, queue: q })) return c.body(null, 204);
    return c.html(dashboardFigures(stats, q));
  });

  const filters = (q: Record<string, string>): Filters => ({
    status: (jobStatuses as readonly string[]).includes(q.status ?? '') ? q.status : undefined,
    position: uuid.safeParse(q.position).success ? q.position : undefined,
    // the API checks a cursor; this only keeps what could be one
    cursor: /^[\w-]{1,512}$/.test(q.cursor ?? '') ? q.cursor : undefined,
  });
  const listJobs = async (
    clientId: string,
    f: Filters,
  ): Promise<{ items: JobItem[]; next: string | null }> => {
    const q = new URLSearchParams({ limit: '50' });
    if (f.status) q.set('status', f.status);
    if (f.position) q.set('position_id', f.position);
    if (f.cursor) q.set('cursor', f.cursor);
    const res = await call(clientId, `/v1/jobs?${q}`);
    // a cursor the API refuses (stale, edited by hand) shows the newest page
    if (res.status === 400 && f.cursor) return listJobs(clientId, { ...f, cursor: undefined });
    if (!res.ok) throw new Error(`listing jobs failed: ${res.status}`);
    const body = (await res.json()) as { items: JobItem[]; next_cursor?: string | null };
    return { items: body.items, next: body.next_cursor ?? null };
  };
  const positions = async (clientId: string, includeArchived = false) => {
    if (!deps.hasRoute('GET', '/v1/positions')) return undefined;
    const res = await call(clientId, `/v1/positions?limit=100&include_archived=${includeArchived}`);
    if (!res.ok) return undefined;
    const body = (await res.json()) as { items: { id: string; title: string; archived: boolean }[] };
    return body.items;
  };

  signedIn.get('/jobs', async (c) => {
    const f = filters(c.req.query());
    const clientId = c.get('session').clientId;
    // archived positions too: their evaluations are still listed
    const [{ items, next }, all] = await Promise.all([listJobs(clientId, f), positions(clientId, true)]);
    return c.html(page('Jobs', jobsPage(items, f, all, next), nav(c, '/app/jobs')));
  });
  signedIn.get('/jobs/rows', async (c) => {
    const f = filters(c.req.query());
    const { items, next } = await listJobs(c.get('session').clientId, f);
    if (c.req.query('seen') === digest(items)) return c.body(null, 204);
    return c.html(jobTable(items, f, next));
  });

  const loadJob = async (clientId: string, id: string) =>
    uuid.safeParse(id).success ? getClientJob(deps.db, clientId, id) : undefined;
  const notFound = (c: Context<ConsoleEnv>) =>
    c.html(
      page(
        'Not found',
        html`<p>There is no such evaluation among yours. <a href="/app/jobs">Back to the jobs</a>.</p>`,
        nav(c, ''),
      ),
      404,
    );
  // the documents are read only once there is evidence to show in them
  const documents = async (clientId: string, row: NonNullable<Awaited<ReturnType<typeof loadJob>>>) =>
    row.result?.outcome === 'completed'
      ? clientDocuments(deps.db, clientId, [row.job.cvId, row.job.projectId])
      : [];
  signedIn.get('/jobs/:id', async (c) => {
    const clientId = c.get('session').clientId;
    const row = await loadJob(clientId, c.req.param('id'));
    if (!row) return notFound(c);
    const docs = await documents(clientId, row);
    return c.html(page('Evaluation', resultPage(row.job, row.result, docs), nav(c, '/app/jobs')));
  });
  signedIn.get('/jobs/:id/outcome', async (c) => {
    const clientId = c.get('session').clientId;
    const row = await loadJob(clientId, c.req.param('id'));
    if (!row) return c.text('not found', 404);
    return c.html(outcome(row.job, row.result, await documents(clientId, row)));
  });

  signedIn.get('/candidates', async (c) =>
    c.html(
      page(
        'Candidates',
        candidatesPage({
          csrfToken: c.get('session').csrfToken,
          maxBytes: deps.uploadMaxBytes,
          positions: await positions(c.get('session').clientId),
        }),
        nav(c, '/app/candidates'),
      ),
    ),
  );
  // The browser's multipart body goes to the API unchanged (streamed, not parsed here).
  signedIn.post('/candidates/upload', async (c) => {
    const res = await call(c.get('session').clientId, '/v1/upload', {
      method: 'POST',
      headers: { 'content-type': c.req.header('content-type') ?? '' },
      body: c.req.raw.body,
      duplex: 'half',
    } as RequestInit);
    if (!res.ok) return c.json({ error: plainWords(await readProblem(res)) }, res.status as 400);
    return c.json(await res.json(), 201);
  });
  const EvaluateForm = z.object({
    cv_id: z.uuid(),
    project_id: z.uuid(),
    job_description: z.string().max(100_000).optional(),
    position_id: z.string().optional(),
  });
  signedIn.post('/candidates/evaluate', bodyLimit({ maxSize: 256 * 1024 }), async (c) => {
    const parsed = EvaluateForm.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return c.json({ error: 'The request was not understood.' }, 400);
    const f = parsed.data;
    const clientId = c.get('session').clientId;
    // With a position, the positions API evaluates the pair against the position's current version.
    const position = f.position_id && uuid.safeParse(f.position_id).success ? f.position_id : undefined;
    const body: Record<string, unknown> = position
      ? { candidates: [{ cv_id: f.cv_id, project_id: f.project_id }] }
      : { cv_id: f.cv_id, project_id: f.project_id };
    if (!position && f.job_description?.trim()) body.job_description = f.job_description.trim();
    // Same pair and same settings → same key: a double click replays instead of evaluating twice.
    const key = `console-${createHash('sha256').update(JSON.stringify({ body, position })).digest('hex').slice(0, 40)}`;
    const res = await call(clientId, position ? `/v1/positions/${position}/evaluations` : '/v1/evaluate', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    });
    if (!res.ok) return c.json({ error: plainWords(await readProblem(res)) }, res.status as 400);
    const answer = (await res.json()) as { id?: string; jobs?: { id: string }[] };
    return c.json({ id: answer.id ?? answer.jobs?.[0]?.id }, 202);
  });

  mountPositions(signedIn, deps.db, nav, deps.offlineScreening);
  mountErasure(signedIn, { db: deps.db, ...deps.erasure }, nav);
  app.route('/', signedIn);
  root.route('/app', app);
  return root;
}
