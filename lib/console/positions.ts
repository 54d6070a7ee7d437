// Positions in the console: list, create, edit (each edit a new version), archive, and a position's
// ranking with a side-by-side comparison and CSV export. They use the tenant-scoped position and
// ranking queries of lib/db, as the positions API does.
import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import { z } from 'zod';
import type { Database } from '../db/database.ts';
import {
  archivePosition,
  createPosition,
  editPosition,
  getPosition,
  listPositions,
  listPositionVersions,
} from '../db/positions.ts';
import { positionRanking } from '../db/ranking.ts';
import { CannotScreenError, refuseUnscreenable } from '../evaluation/offline/index.ts';
import type { ConsoleEnv } from './auth.ts';
import { type Nav, page } from './layout.ts';
import { comparePage, positionPage, positionsPage, rankingCsv } from './pages/positions.ts';

const text = (max: number) => z.string().trim().min(1).max(max);
const PositionForm = z.object({
  title: text(200),
  job_description: text(100_000),
  study_case_brief: text(100_000),
  scoring_rubric: text(100_000),
});
const uuid = z.uuid();

const RANKING_LIMIT = 200;

export function mountPositions(
  app: Hono<ConsoleEnv>,
  db: Database,
  nav: (c: { get(k: 'session'): ConsoleEnv['Variables']['session'] }, current: string) => Nav,
  offlineScreening = false,
): void {
  /** why the offline reader cannot screen these texts (the API's CANNOT_SCREEN detail), if it cannot */
  const unscreenable = (f: z.infer<typeof PositionForm>): string | undefined => {
    if (!offlineScreening) return undefined;
    try {
      refuseUnscreenable({ jobDescription: f.job_description, studyCaseBrief: f.study_case_brief });
      return undefined;
    } catch (err) {
      if (err instanceof CannotScreenError) return `Not saved: ${err.message}.`;
      throw err;
    }
  };
  const form = async (c: { req: { parseBody(): Promise<Record<string, unknown>> } }) =>
    PositionForm.safeParse(await c.req.parseBody());
  const texts = (f: z.infer<typeof PositionForm>) => ({
    title: f.title,
    jobDescription: f.job_description,
    studyCaseBrief: f.study_case_brief,
    scoringRubric: f.scoring_rubric,
  });

  app.get('/positions', async (c) => {
    const s = c.get('session');
    const list = await listPositions(db, s.clientId, { limit: 100, includeArchived: false });
    return c.html(page('Positions', positionsPage(list, s.csrfToken), nav(c, '/app/positions')));
  });
  app.post('/positions', async (c) => {
    const s = c.get('session');
    const f = await form(c);
    if (!f.success) {
      const list = await listPositions(db, s.clientId, { limit: 100, includeArchived: false });
      const error = 'Every field is needed: a title and the three texts the evaluation uses.';
      return c.html(
        page('Positions', positionsPage(list, s.csrfToken, error), nav(c, '/app/positions')),
        422,
      );
    }
    const refused = unscreenable(f.data);
    if (refused) {
      const list = await listPositions(db, s.clientId, { limit: 100, includeArchived: false });
      return c.html(
        page('Positions', positionsPage(list, s.csrfToken, refused), nav(c, '/app/positions')),
        422,
      );
    }
    const p = await createPosition(db, s.clientId, texts(f.data));
    return c.redirect(`/app/positions/${p.id}?created=1`, 303);
  });

  const show = async (
    c: Context<ConsoleEnv>,
    id: string,
    extra: { notice?: string; error?: string; status?: 200 | 409 | 422 } = {},
  ) => {
    const s = c.get('session');
    const version = Number(c.req.query('version')) || undefined;
    const position = uuid.safeParse(id).success ? await getPosition(db, s.clientId, id, version) : undefined;
    if (!position)
      return c.html(
        page('Not found', html`<p>There is no such position among yours.</p>`, nav(c, '/app/positions')),
        404,
      );
    const [versions, ranking] = await Promise.all([
      listPositionVersions(db, s.clientId, id),
      positionRanking(db, s.clientId, id, { limit: RANKING_LIMIT }),
    ]);
    const body = positionPage({ position, versions, ranking, csrf: s.csrfToken, ...extra });
    return c.html(page(position.title, body, nav(c, '/app/positions')), extra.status ?? 200);
  };
  app.get('/positions/:id', (c) =>
    show(c, c.req.param('id'), c.req.query('created') ? { notice: 'Position created.' } : {}),
  );
  app.post('/positions/:id', async (c) => {
    const id = c.req.param('id');
    if (!uuid.safeParse(id).success) return c.text('not found', 404);
    const f = await form(c);
    if (!f.success) return show(c, id, { error: 'Every field is needed.', status: 422 });
    const refused = unscreenable(f.data);
    if (refused) return show(c, id, { error: refused, status: 422 });
    const body = await c.req.parseBody();
    const ifVersion = Number(body.if_version) || undefined;
    const out = await editPosition(db, c.get('session').clientId, id, texts(f.data), ifVersion);
    if (out.kind === 'not-found') return c.text('not found', 404);
    if (out.kind === 'archived') return show(c, id, { error: 'This position is archived.', status: 409 });
    if (out.kind === 'stale')
      return show(c, id, {
        error: `Someone saved version ${out.current} meanwhile; your changes were not saved. Review it and edit again.`,
        status: 409,
      });
    return show(c, id, { notice: `Saved as version ${out.position.version}.` });
  });
  app.post('/positions/:id/archive', async (c) => {
    const id = c.req.param('id');
    if (!uuid.safeParse(id).success || !(await archivePosition(db, c.get('session').clientId, id)))
      return c.text('not found', 404);
    return show(c, id, { notice: 'Position archived.' });
  });

  app.get('/positions/:id/ranking.csv', async (c) => {
    const id = c.req.param('id');
    const s = c.get('session');
    if (!uuid.safeParse(id).success || !(await getPosition(db, s.clientId, id)))
      return c.text('not found', 404);
    const rows = await positionRanking(db, s.clientId, id, { limit: 10_000 });
    c.header('content-type', 'text/csv; charset=utf-8');
    c.header('content-disposition', `attachment; filename="ranking-${id.slice(0, 8)}.csv"`);
    return c.body(rankingCsv(rows));
  });
  app.get('/positions/:id/compare', async (c) => {
    const id = c.req.param('id');
    const s = c.get('session');
    const picked = c.req.queries('job') ?? [];
    const position = uuid.safeParse(id).success ? await getPosition(db, s.clientId, id) : undefined;
    if (!position) return c.text('not found', 404);
    const rows = (await positionRanking(db, s.clientId, id, { limit: RANKING_LIMIT })).filter((r) =>
      picked.includes(r.jobId),
    );
    if (rows.length !== 2)
      return show(c, id, { error: 'Select exactly two evaluations to compare.', status: 422 });
    return c.html(page(`${position.title}: comparison`, comparePage(rows), nav(c, '/app/positions')));
  });
}
