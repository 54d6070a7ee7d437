// The web console in a real browser (Debian's Chromium) against the real stack: submit's app on a port,
// the evaluator on this file's topics and database, PostgreSQL and Kafka. One flow, as a recruiter would
// go: wrong key → sign in → upload (with a refusal) → evaluate → live status → result → another tenant →
// CSRF attempts → sign out; axe-core and screenshots on every page.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { eq } from 'drizzle-orm';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueStatsReader } from '../../lib/console/queue-stats.ts';
import { closeDatabase, createDatabase, type Database } from '../../lib/db/database.ts';
import { results } from '../../lib/db/schema.ts';
import { OfflineProvider } from '../../lib/evaluation/providers/offline.ts';
import { createEvaluateHandler } from '../../lib/jobs/evaluate-handler.ts';
import { runSession } from '../../lib/kafka/session.ts';
import { type ApiHarness, apiHarness } from '../helpers/api.ts';
import { launchChromium, screenshots, seriousViolations } from '../helpers/browser.ts';
import { testLogger } from '../helpers/engine.ts';
import { isolatedStack } from '../helpers/isolation.ts';

const stack = await isolatedStack('console');
let h: ApiHarness;
let db: Database;
let server: ReturnType<typeof serve>;
let attacker: Server;
let base: string;
let attackerBase: string;
let browser: Browser;
const admin = stack.kafka.admin();

beforeAll(async () => {
  await admin.connect();
  h = await apiHarness(stack, {
    uploadMaxBytes: 512 * 1024,
    queueStats: queueStatsReader({
      admin: async () => admin,
      group: `${stack.prefix}-evaluate`,
      jobsTopic: stack.topic('jobs'),
      dlqTopic: stack.topic('dlq'),
    }),
  });
  db = createDatabase(stack.databaseUrl);
  server = serve({ fetch: h.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Another site (localhost is not 127.0.0.1) that posts forms to the console: the CSRF attacker.
  attacker = createServer((req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<form id="f" method="post" action="${base}/app/sign-out"></form>
      <script>document.getElementById('f').submit()</script>`);
  });
  await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
  attackerBase = `http://localhost:${(attacker.address() as AddressInfo).port}`;
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
  await new Promise((r) => attacker?.close(r));
  await admin.disconnect();
  if (db) await closeDatabase(db);
  await h?.close();
});

const evaluator = () =>
  runSession({
    kafka: stack.kafka,
    app: 'test',
    groupId: `${stack.prefix}-evaluate`,
    topic: h.topics.jobs,
    dlqTopic: h.topics.dlq,
    handler: createEvaluateHandler({
      db,
      provider: new OfflineProvider(),
      resultsTopic: h.topics.results,
      maxAttempts: 3,
      logger: testLogger,
    }),
    logger: testLogger,
    maxIdleMs: 4000,
    sessionTimeoutMs: 6000,
    maxAttempts: 4,
    retryBackoffMs: 20,
  });

/** Every request a page makes outside our origin (there must be none: no CDN, no fonts, no telemetry). */
function offOrigin(context: BrowserContext): string[] {
  const seen: string[] = [];
  void context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(base) || url.startsWith('data:') || url.startsWith(attackerBase))
      return route.continue();
    seen.push(url);
    return route.abort();
  });
  return seen;
}

/** A shared 2-core machine can be slow: wait up to 15 s (or longer) for what the page should show. */
const eventually = <T>(fn: () => Promise<T> | T, o: { timeout?: number } = {}) =>
  expect.poll(fn, { timeout: 15_000, ...o });

async function check(page: Page, name: string) {
  expect(await seriousViolations(page), `axe on ${name}`).toEqual([]);
  const { overflow } = await screenshots(page, name);
  expect(overflow, `${name} scrolls sideways at 375 px`).toBeLessThanOrEqual(0);
}

async function signIn(context: BrowserContext, key: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${base}/app`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/app`);
  return page;
}

const CV = (name: string) =>
  `${name} — Senior backend engineer. 7 years of TypeScript and Node.js, Kafka, PostgreSQL, Docker, AWS. ` +
  'Led a team of five; built an event-driven payments platform; mentors juniors; writes design documents.';
const REPORT =
  'Project report. Endpoints /upload, /evaluate, /result; an asynchronous queue with retries and backoff; ' +
  'idempotency keys; tests for failure modes; README with setup, architecture and trade-offs.';

describe('console in Chromium', () => {
  let context: BrowserContext;
  let page: Page;
  let blocked: string[];
  const jobIds: string[] = [];

  it('refuses a wrong key in plain words, then signs in to an HttpOnly SameSite=Strict session', async () => {
    context = await browser.newContext();
    blocked = offOrigin(context);
    page = await context.newPage();
    await page.goto(`${base}/`);
    await eventually(() => page.url()).toContain('/app/sign-in');
    await check(page, 'sign-in');
    await page.getByLabel('API key').fill('cve_not-a-real-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await eventually(() => page.getByRole('alert').textContent()).toContain('not valid');
    expect(await context.cookies()).toEqual([]);
    await check(page, 'sign-in-wrong-key');

    await page.getByLabel('API key').fill(h.keyA);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/app`);
    const [cookie, ...others] = await context.cookies();
    expect(others).toEqual([]);
    expect(cookie).toMatchObject({ name: 'cve_session', httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie!.value).not.toContain(h.keyA);
    const storage = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
    expect(storage).toBe('{}');
    expect(await page.content()).not.toContain(h.keyA);
  });

  it('dashboard: jobs by status, throughput, queue lag, DLQ count', async () => {
    await eventually(() => page.locator('[data-count=queued]').textContent()).toBe('0');
    await eventually(() => page.locator('[data-dlq]').textContent()).toContain('0 records');
    await eventually(() => page.getByText('evaluations finished in the last hour').count()).toBe(1);
    await check(page, 'dashboard');
  });

  it('candidates: drag-and-drop of two pairs plus a refused one, per-file progress, evaluations started', async () => {
    await page.getByRole('link', { name: 'Candidates' }).click();
    await page.waitForURL(`${base}/app/candidates`);
    await check(page, 'candidates');
    await page.evaluate(
      ({ files }) => {
        const dt = new DataTransfer();
        for (const [name, text] of files)
          dt.items.add(new File([text as string], name as string, { type: 'text/plain' }));
        document
          .getElementById('dropzone')!
          .dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      },
      {
        files: [
          ['bob-cv.txt', CV('Bob')],
          ['alice-cv.txt', CV('Alice')],
          ['alice-report.txt', REPORT],
          ['bob-report.txt', REPORT],
        ],
      },
    );
    await eventually(() => page.locator('fieldset.pair').count()).toBe(2);
    // A third candidate whose "CV" is an image: refused, in words, nothing stored for it.
    await page.getByRole('button', { name: 'Add another candidate' }).click();
    await page
      .getByLabel('CV', { exact: true })
      .nth(2)
      .setInputFiles({
        name: 'carol-cv.png',
        mimeType: 'image/png',
        buffer: Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex'),
      });
    await page
      .getByLabel('Project report', { exact: true })
      .nth(2)
      .setInputFiles({
        name: 'carol-report.txt',
        mimeType: 'text/plain',
        buffer: Buffer.from(REPORT),
      });
    await page.getByRole('button', { name: 'Upload and evaluate' }).click();
    await eventually(() => page.locator('#form-status').textContent(), { timeout: 30_000 }).toContain(
      '2 evaluation(s) started, 1 candidate(s) refused',
    );
    const pairs = page.locator('fieldset.pair');
    await eventually(() => pairs.nth(2).locator('.pair-status').textContent()).toBe(
      'Refused: CV: This is not a PDF, Word (.docx) or plain-text document.',
    );
    for (const i of [0, 1]) {
      expect(
        await pairs
          .nth(i)
          .locator('progress')
          .evaluateAll((ps) => ps.map((p) => (p as HTMLProgressElement).value)),
      ).toEqual([100, 100]);
      const href = await pairs.nth(i).locator('.pair-status a').getAttribute('href');
      jobIds.push(href!.split('/').pop()!);
    }
    expect(new Set(jobIds).size).toBe(2);
    // the refused candidate left no upload behind: only the two pairs' four files exist
    const uploads = await db.$client`select count(*)::int as n from uploads`;
    expect(uploads[0]!.n).toBe(4);
    await check(page, 'candidates-after-upload');
  });

  it('jobs list and result page update live; the result shows within 2 s of being stored', async () => {
    const jobsPage = await context.newPage();
    await jobsPage.goto(`${base}/app/jobs`);
    await eventually(() => jobsPage.locator('tr[data-job] [data-status=queued]').count()).toBe(2);
    await check(jobsPage, 'jobs');

    await page.goto(`${base}/app/jobs/${jobIds[0]}`);
    expect(await page.locator('#outcome').getAttribute('data-outcome')).toBe('queued');
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    const run = evaluator();
    await page.waitForFunction(() => document.querySelector('#outcome[data-outcome=completed]'), undefined, {
      timeout: 60_000,
      polling: 'raf',
    });
    const shownAt = Date.now();
    const [stored] = await db
      .select({ at: results.createdAt })
      .from(results)
      .where(eq(results.jobId, jobIds[0]!));
    const latencyMs = shownAt - stored!.at.getTime();
    process.stdout.write(
      `\nconsole: completed evaluation shown ${latencyMs} ms after its result was stored\n`,
    );
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
    expect(latencyMs).toBeLessThan(2000);
    await run;
    await eventually(() => jobsPage.locator('tr[data-job] [data-status=completed]').count()).toBe(2);
    await jobsPage.getByLabel('Status').selectOption('completed');
    await jobsPage.getByRole('button', { name: 'Filter' }).click();
    await jobsPage.waitForURL(/status=completed/);
    await eventually(() => jobsPage.locator('tr[data-job]').count()).toBe(2);
    await jobsPage.close();
  });

  it('result: overall scores, a chart per rubric, provenance', async () => {
    await eventually(() => page.locator('[data-score=cv_match_rate]').textContent()).toMatch(/^\d+%$/);
    expect(await page.locator('#cv-chart-caption').count()).toBe(1);
    expect(await page.locator('figure svg [data-criterion]').count()).toBe(9);
    expect(await page.locator('[data-criterion=technical_skills] .chart-value').textContent()).toMatch(
      /^[1-5]$/,
    );
    expect(await page.getByRole('heading', { name: 'Provenance' }).count()).toBe(1);
    await check(page, 'result');
  });

  it("another tenant cannot open this tenant's result, and does not list its jobs", async () => {
    const other = await browser.newContext();
    const otherPage = await signIn(other, h.keyB);
    const res = await otherPage.goto(`${base}/app/jobs/${jobIds[0]}`);
    expect(res!.status()).toBe(404);
    expect(await otherPage.content()).not.toContain('data-score');
    await check(otherPage, 'not-found');
    const fragment = await other.request.get(`${base}/app/jobs/${jobIds[0]}/outcome`);
    expect(fragment.status()).toBe(404);
    await otherPage.goto(`${base}/app/jobs`);
    expect(await otherPage.locator('tr[data-job]').count()).toBe(0);
    await other.close();
  });

  it('CSRF: a cross-site form does not sign out; a same-origin post without the token is refused', async () => {
    const evil = await context.newPage();
    await evil.goto(attackerBase);
    await evil.waitForLoadState('networkidle');
    await evil.close();
    // still signed in: the cross-site post carried no cookie (SameSite=Strict) and no valid origin
    let res = await page.goto(`${base}/app`);
    expect(res!.url()).toBe(`${base}/app`);

    // same cookie, right origin, no token → 403; right token, foreign origin → 403
    res = null;
    const noToken = await context.request.post(`${base}/app/sign-out`, {
      headers: { origin: base },
      form: { _csrf: 'forged' },
      maxRedirects: 0,
    });
    expect(noToken.status()).toBe(403);
    const token = await page.locator('input[name=_csrf]').first().inputValue();
    const foreign = await context.request.post(`${base}/app/sign-out`, {
      headers: { origin: attackerBase },
      form: { _csrf: token },
      maxRedirects: 0,
    });
    expect(foreign.status()).toBe(403);
    const upload = await context.request.post(`${base}/app/candidates/upload`, {
      headers: { origin: base },
      multipart: { cv: { name: 'a.txt', mimeType: 'text/plain', buffer: Buffer.from(CV('Eve')) } },
      maxRedirects: 0,
    });
    expect(upload.status()).toBe(403);
    expect(await page.goto(`${base}/app`).then((r) => r!.url())).toBe(`${base}/app`);
  });

  it('the API reference at /docs renders from our origin only', async () => {
    const docs = await context.newPage();
    await docs.goto(`${base}/docs`);
    await eventually(() => docs.getByText('/v1/evaluate').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await screenshots(docs, 'docs');
    await docs.close();
    expect(blocked).toEqual([]);
  });

  it('signs out; the old cookie no longer opens a page', async () => {
    const [cookie] = await context.cookies();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/sign-in\?signed-out=1/);
    expect(await page.getByRole('status').textContent()).toContain('signed out');
    const replay = await browser.newContext();
    await replay.addCookies([cookie!]);
    const p = await replay.newPage();
    await p.goto(`${base}/app`);
    expect(p.url()).toContain('/app/sign-in');
    await replay.close();
    await context.close();
  });
});
