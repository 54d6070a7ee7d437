import { html } from 'hono/html';
import type { PositionView } from '../../db/positions.ts';
import type { RankingRow } from '../../db/ranking.ts';
import { CV_WEIGHTS, PROJECT_WEIGHTS } from '../../evaluation/rubric.ts';
import { csvHeader, rankingCsvRows, rankingItem } from '../../positions/ranking.ts';
import { barChart, rubricBars, rubricOrder } from '../chart.ts';
import { type Html, statusBadge, when } from '../layout.ts';

const fields = (p: Partial<PositionView> | undefined) => html`
  <label for="title">Title</label>
  <input id="title" name="title" type="text" required maxlength="200" value="${p?.title ?? ''}">
  <label for="job_description">Job description</label>
  <textarea id="job_description" name="job_description" rows="6" required>${p?.jobDescription ?? ''}</textarea>
  <label for="study_case_brief">Case-study brief</label>
  <textarea id="study_case_brief" name="study_case_brief" rows="4" required>${p?.studyCaseBrief ?? ''}</textarea>
  <label for="scoring_rubric">Scoring rubric</label>
  <textarea id="scoring_rubric" name="scoring_rubric" rows="4" required>${p?.scoringRubric ?? ''}</textarea>`;

export function positionsPage(list: PositionView[], csrf: string, error?: string): Html {
  return html`<section aria-labelledby="open-h"><h2 id="open-h">Open positions</h2>
${
  list.length
    ? html`<ul class="plain">${list.map(
        (p) =>
          html`<li><a href="/app/positions/${p.id}">${p.title}</a> <span class="hint">version ${p.version}, updated ${when(p.updatedAt)}</span></li>`,
      )}</ul>`
    : html`<p>No open positions yet.</p>`
}
</section>
<form class="card" method="post" action="/app/positions" aria-labelledby="new-h">
<h2 id="new-h">New position</h2>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<input type="hidden" name="_csrf" value="${csrf}">
${fields(undefined)}
<button type="submit">Create position</button>
</form>`;
}

export function positionPage(o: {
  position: PositionView;
  versions: { version: number; title: string; createdAt: Date }[];
  ranking: RankingRow[];
  csrf: string;
  notice?: string;
  error?: string;
}): Html {
  const p = o.position;
  const archived = p.archivedAt !== null;
  // An older version is for reading: its texts in the edit form, saved with its number as the expected
  // version, were refused as "Someone saved version N meanwhile" (found from outside: nobody had; the
  // page showed version 1 of a position at version 2, with a button "Save as version 2").
  const current = Math.max(p.version, ...o.versions.map((v) => v.version));
  const old = p.version < current;
  return html`${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : ''}
${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''}
<p class="meta">Version ${p.version}${archived ? html`, <strong>archived</strong> ${when(p.archivedAt!)}` : ''}.
Versions: ${o.versions.map((v, i) => html`${i ? ', ' : ''}<a href="/app/positions/${p.id}?version=${v.version}">${v.version}</a>`)}</p>
${old ? html`<p class="notice" role="status">You are reading version ${p.version}, an earlier version. <a href="/app/positions/${p.id}">Edit the current version (${current})</a>.</p>` : ''}
${rankingSection(p.id, o.ranking)}
${
  archived || old
    ? ''
    : html`<form class="card" method="post" action="/app/positions/${p.id}" aria-labelledby="edit-h">
<h2 id="edit-h">Edit (saves a new version)</h2>
<input type="hidden" name="_csrf" value="${o.csrf}">
<input type="hidden" name="if_version" value="${p.version}">
${fields(p)}
<button type="submit">Save as version ${p.version + 1}</button>
</form>
<form class="card" method="post" action="/app/positions/${p.id}/archive">
<h2>Archive</h2>
<p>An archived position is hidden from lists and takes no new evaluations; its versions and evaluations stay readable.</p>
<input type="hidden" name="_csrf" value="${o.csrf}">
<button type="submit" class="danger">Archive this position</button>
</form>`
}`;
}

/**
 * The evaluation's flags in words, as the API's ranking gives them. Found from outside: the console's
 * ranking showed none, so a CV flagged `injection_suspected`, or one in a language the evaluator does not
 * read (`needs_review`), sat in the list looking like any other; only its result page said so.
 */
const FLAG_SHORT: Record<string, string> = {
  needs_review: 'needs review',
  injection_suspected: 'injection suspected',
  language_unsupported: 'language not supported',
  score_without_evidence: 'score without evidence',
  quotes_dropped: 'quotes dropped',
};
const flagList = (flags: string[]) =>
  flags.length
    ? html`<ul class="plain">${flags.map((f) => html`<li><span class="badge badge-flag">${FLAG_SHORT[f] ?? f.replace(/_/g, ' ')}</span></li>`)}</ul>`
    : html`<span class="hint">none</span>`;

const pct = (v: string | null) => (v === null ? '—' : `${Math.round(Number(v) * 100)}%`);

function rankingSection(id: string, rows: RankingRow[]): Html {
  return html`<section aria-labelledby="rank-h"><h2 id="rank-h">Ranking</h2>
${
  rows.length
    ? html`<form method="get" action="/app/positions/${id}/compare">
<div class="scroll" tabindex="0" role="region" aria-label="Ranking"><table>
<thead><tr><th scope="col">Rank</th><th scope="col">Compare</th><th scope="col">Evaluation</th><th scope="col">Combined (0–100)</th><th scope="col">CV match</th><th scope="col">Project (2–10)</th><th scope="col">Status</th><th scope="col">Flags</th></tr></thead>
<tbody>${rows.map(
        (r, i) => html`<tr data-rank="${i + 1}">
<td>${i + 1}</td>
<td><input type="checkbox" name="job" value="${r.jobId}" id="cmp-${r.jobId}" aria-label="Compare evaluation ${r.jobId.slice(0, 8)}"></td>
<td><a href="/app/jobs/${r.jobId}">${r.jobId.slice(0, 8)}</a></td>
<td data-combined>${r.combinedScore ?? '—'}</td><td>${pct(r.cvMatchRate)}</td><td>${r.projectScore ?? '—'}</td><td>${statusBadge(r.status)}</td><td data-flags="${rankingItem(r).flags.join(' ')}">${flagList(rankingItem(r).flags)}</td></tr>`,
      )}</tbody></table></div>
<button type="submit">Compare the two selected</button>
<a class="button-link" href="/app/positions/${id}/ranking.csv" download>Export CSV</a>
</form>`
    : html`<p>No evaluations for this position yet.</p>`
}
</section>`;
}

export function comparePage(rows: RankingRow[]): Html {
  return html`<div class="compare">${rows.map(
    (
      r,
    ) => html`<section aria-labelledby="c-${r.jobId}"><h2 id="c-${r.jobId}"><a href="/app/jobs/${r.jobId}">Evaluation ${r.jobId.slice(0, 8)}</a></h2>
<ul class="tiles">
  <li class="tile"><span class="tile-value">${r.combinedScore ?? '—'}</span> combined</li>
  <li class="tile"><span class="tile-value">${pct(r.cvMatchRate)}</span> CV match</li>
  <li class="tile"><span class="tile-value">${r.projectScore ?? '—'}</span> project</li>
</ul>
${barChart({ id: `cv-${r.jobId}`, title: 'CV per criterion (1 to 5)', max: 5, bars: rubricBars(r.cvScores, rubricOrder(r.provenance, 'cv', CV_WEIGHTS)) })}
${barChart({ id: `pr-${r.jobId}`, title: 'Project per criterion (1 to 5)', max: 5, bars: rubricBars(r.projectScores, rubricOrder(r.provenance, 'project', PROJECT_WEIGHTS)) })}
</section>`,
  )}</div>`;
}

/**
 * The ranking as CSV: the API's own columns and rows (`Accept: text/csv` on the ranking route), so an export
 * from the console carries the flags and error codes too. Found from outside: the console's export had its
 * own columns and no flags, so a candidate flagged `injection_suspected` or `needs_review` looked clean in
 * the spreadsheet a hiring team shares.
 */
export function rankingCsv(rows: RankingRow[]): string {
  return `${csvHeader.join(',')}\r\n${rankingCsvRows(rows.map(rankingItem), 1)}`;
}
