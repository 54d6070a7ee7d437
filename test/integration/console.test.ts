// The web console in a real browser (Debian's Chromium) against the real stack: submit's app on a port,
// the evaluator on this file's topics and database, PostgreSQL and Kafka. One flow, as a recruiter would
// go: wrong key → sign in → upload (with a refusal) → evaluate → live status → result → ranking → jobs
// filtered by position → erasure → another tenant → CSRF attempts → /docs → sign out; axe-core and
// screenshots on every page, /docs included.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { eq, sql } from 'drizzle-orm';
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
  // Another site (localhost is not 127.0.0.1) that posts forms to the console: the CSRF attacker. At /
  // it signs the victim out; at /erase?job=<id> it submits the erasure form, confirmation typed.
  attacker = createServer((req, res) => {
    res.setHeader('content-type', 'text/html');
    const job = new URL(req.url ?? '/', 'http://x').searchParams.get('job');
    const form = job
      ? `<form id="f" method="post" action="${base}/app/jobs/${job}/erase"><input name="confirm" value="erase"></form>`
      : `<form id="f" method="post" action="${base}/app/sign-out"></form>`;
    res.end(`${form}<script>document.getElementById('f').submit()</script>`);
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

/** Every row of every table, as text: where a document's words would be if anything kept them. */
async function everyRow(): Promise<string> {
  const tables = await db.execute<{ table_name: string }>(
    sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
  );
  expect(tables.length).toBeGreaterThanOrEqual(7);
  let all = '';
  for (const { table_name } of tables) {
    const rows = await db.execute(sql.raw(`select t::text as row from "${table_name}" t`));
    all += rows.map((r) => String((r as { row: string }).row)).join('\n');
  }
  return all;
}

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
  let positionId = '';
  /** the position's ranking, job ids in rank order (from its CSV export) */
  const rankRows = async () => {
    const csv = await context.request.get(`${base}/app/positions/${positionId}/ranking.csv`);
    expect(csv.status()).toBe(200);
    return (await csv.text())
      .trim()
      .split('\r\n')
      .slice(1)
      .map((line) => line.split(',')[1]!);
  };

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
    // evidence: quotes per criterion, each highlighted in the document text it was found in
    const quotes = await page.locator('q[data-evidence=cv]').allTextContents();
    expect(quotes.length).toBeGreaterThan(0);
    const marks = await page.locator('.doc mark').allTextContents();
    expect(marks.length).toBeGreaterThan(0);
    for (const m of marks) expect(CV('Alice') + CV('Bob') + REPORT).toContain(m);
    await check(page, 'result');
  });

  it('positions: create, edit (new version), ranking with comparison and CSV export, archive', async () => {
    await page.goto(`${base}/app/positions`);
    await check(page, 'positions');
    await page.getByLabel('Title').fill('Backend engineer');
    await page.getByLabel('Job description').fill('Backend engineer: TypeScript, Kafka, PostgreSQL, Docker.');
    await page.getByLabel('Case-study brief').fill('Build a CV evaluation service with a queue and retries.');
    await page
      .getByLabel('Scoring rubric')
      .fill('Correctness, code quality, resilience, documentation, creativity.');
    await page.getByRole('button', { name: 'Create position' }).click();
    await page.waitForURL(/\/app\/positions\/[0-9a-f-]{36}\?created=1/);
    positionId = /positions\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    await page.getByLabel('Title').fill('Senior backend engineer');
    await page.getByRole('button', { name: 'Save as version 2' }).click();
    await eventually(() => page.getByRole('status').textContent()).toContain('Saved as version 2');
    // This file's two evaluations were started without a position; attach them as the positions API
    // records its evaluations (position and version on the job), to rank them.
    await db.$client`update jobs set position_id = ${positionId}, position_version = 1 where id in ${db.$client(jobIds)}`;
    // A third candidate evaluated for the position from the candidates page (positions API); it is still
    // queued (no evaluator runs now), so it ranks last.
    await page.goto(`${base}/app/candidates`);
    await page.getByLabel('Position').selectOption(positionId);
    await page
      .getByLabel('CV', { exact: true })
      .setInputFiles({ name: 'dana-cv.txt', mimeType: 'text/plain', buffer: Buffer.from(CV('Dana')) });
    await page
      .getByLabel('Project report', { exact: true })
      .setInputFiles({ name: 'dana-report.txt', mimeType: 'text/plain', buffer: Buffer.from(REPORT) });
    await page.getByRole('button', { name: 'Upload and evaluate' }).click();
    await eventually(() => page.locator('#form-status').textContent(), { timeout: 30_000 }).toContain(
      '1 evaluation(s) started',
    );
    const [queued] =
      await db.$client`select position_version from jobs where position_id = ${positionId} and not (id in ${db.$client(jobIds)})`;
    expect(queued?.position_version).toBe(2);
    await page.goto(`${base}/app/positions/${positionId}`);
    expect(await page.locator('tr[data-rank]').count()).toBe(3);
    expect(await page.locator('tr[data-rank="3"] [data-status=queued]').count()).toBe(1);
    const scores = (await page.locator('td[data-combined]').allTextContents()).slice(0, 2).map(Number);
    expect(scores[0]).toBeGreaterThanOrEqual(scores[1]!);
    await check(page, 'position');
    const csv = await context.request.get(`${base}/app/positions/${positionId}/ranking.csv`);
    expect(csv.headers()['content-type']).toContain('text/csv');
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toMatch(/^rank,job_id,cv_id,project_id,status,.*,flags,error_code$/);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain(',completed,');
    for (const id of jobIds)
      await page.getByRole('checkbox', { name: `Compare evaluation ${id.slice(0, 8)}` }).check();
    await page.getByRole('button', { name: 'Compare the two selected' }).click();
    await page.waitForURL(/compare/);
    expect(await page.locator('.compare section').count()).toBe(2);
    expect(await page.locator('.compare figure').count()).toBe(4);
    await check(page, 'compare');
    await page.goto(`${base}/app/positions/${positionId}`);
    await page.getByRole('button', { name: 'Archive this position' }).click();
    await eventually(() => page.getByRole('status').textContent()).toContain('Position archived');
    await page.goto(`${base}/app/positions`);
    expect(await page.getByRole('link', { name: 'Senior backend engineer' }).count()).toBe(0);
  });

  it('jobs: filtered by position, and the live update keeps the filter', async () => {
    const jobsPage = await context.newPage();
    await jobsPage.goto(`${base}/app/jobs`);
    // archived positions stay selectable: their evaluations are still listed
    await jobsPage.getByLabel('Position').selectOption({ label: 'Senior backend engineer (archived)' });
    await jobsPage.getByRole('button', { name: 'Filter' }).click();
    await jobsPage.waitForURL(new RegExp(`position=${positionId}`));
    await eventually(() => jobsPage.locator('tr[data-job]').count()).toBe(3);
    expect(await jobsPage.locator('#job-table').getAttribute('hx-get')).toContain(`position=${positionId}`);
    await check(jobsPage, 'jobs-by-position');
    // A new evaluation for no position, started while the filtered list polls: it must stay out of the
    // list (the poll asks with the filter), and once it is attached to the position the next poll shows it.
    const [alice] = await db.$client`select cv_id, project_id from jobs where id = ${jobIds[0]!}`;
    const res = await h.app.request('/v1/evaluate', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${h.keyA}`,
        'content-type': 'application/json',
        'idempotency-key': 'console-position-filter',
      },
      body: JSON.stringify({ cv_id: alice!.cv_id, project_id: alice!.project_id }),
    });
    expect(res.status).toBe(202);
    const adHoc = ((await res.json()) as { id: string }).id;
    const polled = jobsPage.waitForResponse((r) => r.url().includes('/app/jobs/rows?') && r.status() === 200);
    const seen = () => jobsPage.locator(`tr[data-job="${adHoc}"]`).count();
    // the unfiltered list does show it (so its absence below is the filter's doing)
    const unfiltered = await context.request.get(`${base}/app/jobs/rows`, {
      headers: { 'hx-request': 'true' },
    });
    expect(await unfiltered.text()).toContain(adHoc);
    await jobsPage.waitForTimeout(2500); // two polls at least
    expect(await seen()).toBe(0);
    await db.$client`update jobs set position_id = ${positionId}, position_version = 2 where id = ${adHoc}`;
    await polled;
    await eventually(() => seen()).toBe(1);
    expect(jobsPage.url()).toContain(`position=${positionId}`);
    await jobsPage.getByLabel('Status').selectOption('completed');
    await jobsPage.getByRole('button', { name: 'Filter' }).click();
    await jobsPage.waitForURL(/status=completed/);
    expect(jobsPage.url()).toContain(`position=${positionId}`);
    await eventually(() => jobsPage.locator('tr[data-job]').count()).toBe(2);
    await jobsPage.close();
  });

  it("erasure: from the result page, confirmed by keyboard; the result answers 404 and no row holds the candidate's documents", async () => {
    const bob = jobIds[1]!;
    const [docs] = await db.$client`select cv_id, project_id from jobs where id = ${bob}`;
    const uploadIds = [docs!.cv_id as string, docs!.project_id as string];
    const rankedBefore = await rankRows();
    expect(rankedBefore).toContain(bob);
    await page.goto(`${base}/app/jobs/${bob}`);
    expect(await everyRow()).toContain('Bob —');
    await page.getByRole('link', { name: "Erase this candidate's data…" }).click();
    await page.waitForURL(`${base}/app/jobs/${bob}/erase`);
    expect(await page.getByRole('heading', { name: 'This cannot be undone' }).count()).toBe(1);
    expect(await page.locator('[data-erase-uploads] li').allTextContents()).toEqual([
      'CV bob-cv.txt',
      'Project report bob-report.txt',
    ]);
    expect(
      await page
        .locator('[data-erase-jobs] li[data-job]')
        .evaluateAll((l) => l.map((e) => e.getAttribute('data-job'))),
    ).toEqual([bob]);
    await check(page, 'erase-confirm');

    // Keyboard only. A wrong word is refused and erases nothing.
    const box = page.getByLabel('Type erase to confirm');
    await box.focus();
    await page.keyboard.type('delete');
    await page.keyboard.press('Enter');
    await eventually(() => page.getByRole('alert').textContent()).toContain('Nothing was erased');
    expect(await page.getByLabel('Type erase to confirm').getAttribute('aria-invalid')).toBe('true');
    const [kept] =
      await db.$client`select count(*)::int as n from uploads where id in ${db.$client(uploadIds)}`;
    expect(kept!.n).toBe(2);
    await check(page, 'erase-refused');

    await page.getByLabel('Type erase to confirm').focus();
    await page.keyboard.type('erase');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Erase permanently');
    await page.keyboard.press('Enter');
    await eventually(() => page.getByRole('status').textContent()).toContain(
      'Erased 2 documents and 1 evaluation',
    );
    expect(await page.locator('main code').allTextContents()).toEqual(
      expect.arrayContaining([...uploadIds, bob]),
    );
    await check(page, 'erased');

    const gone = await page.goto(`${base}/app/jobs/${bob}`);
    expect(gone!.status()).toBe(404);
    expect((await context.request.get(`${base}/app/jobs/${bob}/outcome`)).status()).toBe(404);
    expect((await context.request.get(`${base}/app/jobs/${bob}/erase`)).status()).toBe(404);
    const [left] = await db.$client`
      select (select count(*)::int from uploads where id in ${db.$client(uploadIds)}) as uploads,
             (select count(*)::int from jobs where id = ${bob}) as jobs,
             (select count(*)::int from results where job_id = ${bob}) as results,
             (select count(*)::int from erased_jobs where job_id = ${bob}) as marker`;
    expect(left).toEqual({ uploads: 0, jobs: 0, results: 0, marker: 1 });
    const rows = await everyRow();
    for (const trace of ['Bob —', 'bob-cv.txt', 'bob-report.txt']) expect(rows).not.toContain(trace);
    // the other candidate is untouched
    expect(rows).toContain('Alice —');
    expect(await rankRows()).toEqual(rankedBefore.filter((id) => id !== bob));
  });

  /** Whether the first candidate's job and both its documents still exist. */
  const aliceIntact = async () => {
    const [row] = await db.$client`
      select count(*)::int as n from jobs j join uploads c on c.id = j.cv_id join uploads p on p.id = j.project_id
      where j.id = ${jobIds[0]!}`;
    return row!.n === 1;
  };

  it("another tenant cannot open, list or erase this tenant's evaluations", async () => {
    const other = await browser.newContext();
    const otherPage = await signIn(other, h.keyB);
    const res = await otherPage.goto(`${base}/app/jobs/${jobIds[0]}`);
    expect(res!.status()).toBe(404);
    expect(await otherPage.content()).not.toContain('data-score');
    await check(otherPage, 'not-found');
    const fragment = await other.request.get(`${base}/app/jobs/${jobIds[0]}/outcome`);
    expect(fragment.status()).toBe(404);
    expect((await other.request.get(`${base}/app/positions/${positionId}`)).status()).toBe(404);
    expect((await other.request.get(`${base}/app/positions/${positionId}/ranking.csv`)).status()).toBe(404);
    await otherPage.goto(`${base}/app/jobs`);
    expect(await otherPage.locator('tr[data-job]').count()).toBe(0);
    // erasure: the confirmation page, and a confirmed post with the other tenant's own valid token
    expect((await other.request.get(`${base}/app/jobs/${jobIds[0]}/erase`)).status()).toBe(404);
    const token = await otherPage.locator('input[name=_csrf]').first().inputValue();
    const erase = await other.request.post(`${base}/app/jobs/${jobIds[0]}/erase`, {
      headers: { origin: base },
      form: { _csrf: token, confirm: 'erase' },
      maxRedirects: 0,
    });
    expect(erase.status()).toBe(404);
    expect(await erase.text()).toContain('nothing was erased');
    expect(await aliceIntact()).toBe(true);
    await other.close();
  });

  it('CSRF: a cross-site form neither signs out nor erases; a same-origin post without the token is refused', async () => {
    const evil = await context.newPage();
    await evil.goto(attackerBase);
    await evil.waitForLoadState('networkidle');
    await evil.goto(`${attackerBase}/erase?job=${jobIds[0]}`);
    await evil.waitForLoadState('networkidle');
    await evil.close();
    expect(await aliceIntact()).toBe(true);
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
    // the erasure form: no token, a forged one, the right one from another origin → 403, nothing erased
    const erasure = `${base}/app/jobs/${jobIds[0]}/erase`;
    for (const [origin, form] of [
      [base, { confirm: 'erase' }],
      [base, { _csrf: 'forged', confirm: 'erase' }],
      [attackerBase, { _csrf: token, confirm: 'erase' }],
    ] as const) {
      const r = await context.request.post(erasure, { headers: { origin }, form, maxRedirects: 0 });
      expect(r.status(), `erasure post from ${origin} with ${JSON.stringify(form)}`).toBe(403);
    }
    expect(await aliceIntact()).toBe(true);
    expect(await page.goto(`${base}/app`).then((r) => r!.url())).toBe(`${base}/app`);
  });

  it('the API reference at /docs renders from our origin only, and passes axe', async () => {
    const docs = await context.newPage();
    // a 4.8 MB script to parse: generous limits for a loaded machine
    await docs.goto(`${base}/docs`, { waitUntil: 'domcontentloaded', timeout: 90_000 });
    await eventually(() => docs.getByText('/v1/evaluate').count(), { timeout: 90_000 }).toBeGreaterThan(0);
    expect(await docs.locator('html').getAttribute('lang')).toBe('en');
    await check(docs, 'docs');
    // Scalar renders the operations as they scroll into view, and has a dark mode: axe on those too.
    for (let i = 0; i < 40; i++) await docs.mouse.wheel(0, 1500);
    await eventually(() => docs.getByText('/v1/jobs/{id}').count()).toBeGreaterThan(1);
    expect(await seriousViolations(docs), 'axe on /docs, every operation rendered').toEqual([]);
    await docs
      .getByRole('button', { name: /dark mode/i })
      .first()
      .click();
    await eventually(() => docs.evaluate(() => document.body.className)).toContain('dark-mode');
    expect(await seriousViolations(docs), 'axe on /docs in dark mode').toEqual([]);
    await docs.close();
    expect(blocked).toEqual([]);
  }, 240_000);

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
