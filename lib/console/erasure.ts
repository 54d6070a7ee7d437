// Erasing a candidate's data from the console: their CV and project report, the text read from them, and
// every evaluation that used either (with its result), in one transaction by the function behind
// DELETE /v1/uploads/{id} (lib/jobs/erasure.ts), which also tombstones the results on Kafka. It is called
// directly, not through the API in-process, because the console erases both documents at once and the
// API's route takes one. Two steps: a confirmation page listing what will go, then a POST that needs the
// session's CSRF token (lib/console/auth.ts) and the typed word. The job is looked up among the
// session's client's only, and the erasure is scoped to that client again: another tenant's id is a 404
// and erases nothing.
import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import { z } from 'zod';
import { erasurePreview } from '../db/console-documents.ts';
import { getClientJob } from '../db/jobs.ts';
import { type ErasureDeps, eraseClientUploads } from '../jobs/erasure.ts';
import type { ConsoleEnv } from './auth.ts';
import { type Nav, page } from './layout.ts';
import { CONFIRM_WORD, confirmErasurePage, erasedPage } from './pages/erasure.ts';

const uuid = z.uuid();

export function mountErasure(
  app: Hono<ConsoleEnv>,
  deps: ErasureDeps,
  nav: (c: { get(k: 'session'): ConsoleEnv['Variables']['session'] }, current: string) => Nav,
): void {
  const TITLE = "Erase this candidate's data";
  const load = async (c: Context<ConsoleEnv>) => {
    const id = c.req.param('id') ?? '';
    const row = uuid.safeParse(id).success
      ? await getClientJob(deps.db, c.get('session').clientId, id)
      : undefined;
    return row?.job;
  };
  const notFound = (c: Context<ConsoleEnv>) =>
    c.html(
      page(
        'Not found',
        html`<p>There is no such evaluation among yours; nothing was erased. <a href="/app/jobs">Back to the jobs</a>.</p>`,
        nav(c, ''),
      ),
      404,
    );
  const confirmation = async (
    c: Context<ConsoleEnv>,
    job: { id: string; cvId: string; projectId: string },
    error?: string,
  ) => {
    const s = c.get('session');
    const preview = await erasurePreview(deps.db, s.clientId, [job.cvId, job.projectId]);
    const body = confirmErasurePage({ jobId: job.id, preview, csrf: s.csrfToken, error });
    return c.html(page(TITLE, body, nav(c, '/app/jobs')), error ? 422 : 200);
  };

  app.get('/jobs/:id/erase', async (c) => {
    const job = await load(c);
    return job ? confirmation(c, job) : notFound(c);
  });

  app.post('/jobs/:id/erase', async (c) => {
    const job = await load(c);
    if (!job) return notFound(c);
    const form = await c.req.parseBody();
    const typed = typeof form.confirm === 'string' ? form.confirm.trim().toLowerCase() : '';
    if (typed !== CONFIRM_WORD)
      return confirmation(c, job, `Nothing was erased: type “${CONFIRM_WORD}” in the box to confirm.`);
    const clientId = c.get('session').clientId;
    const ids = [job.cvId, job.projectId];
    // the kinds, to say what each erased id was (the rows are gone afterwards)
    const before = await erasurePreview(deps.db, clientId, ids);
    const erased = await eraseClientUploads(deps, clientId, ids);
    if (!erased) return notFound(c);
    const kinds = new Map(before.uploads.map((u) => [u.id, u.kind]));
    const body = erasedPage({
      jobIds: erased.jobIds,
      uploads: erased.uploadIds.map((id) => ({ id, kind: kinds.get(id) })),
      tombstoned: erased.tombstoned,
    });
    return c.html(page('Candidate data erased', body, nav(c, '/app/jobs')));
  });
}
