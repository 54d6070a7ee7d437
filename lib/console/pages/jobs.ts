import { html } from 'hono/html';
import { jobStatuses } from '../../db/schema.ts';
import { digest, type Html, statusBadge, when } from '../layout.ts';

export interface JobItem {
  id: string;
  status: string;
  created_at: string;
  updated_at: string;
  position_id?: string | null;
}

export interface Filters {
  status?: string;
  position?: string;
  /** the page after this cursor (GET /v1/jobs' next_cursor); none: the newest */
  cursor?: string;
}

const query = (f: Filters) => {
  const q = new URLSearchParams();
  if (f.status) q.set('status', f.status);
  if (f.position) q.set('position', f.position);
  if (f.cursor) q.set('cursor', f.cursor);
  const s = q.toString();
  return s ? `?${s}` : '';
};

/** Links to the newest page and to older jobs, keeping the filters. */
function pager(f: Filters, next: string | null | undefined): Html | string {
  if (!next && !f.cursor) return '';
  const newest = query({ ...f, cursor: undefined });
  return html`<nav class="pager" aria-label="Pages of jobs">${f.cursor ? html`<a href="/app/jobs${newest}">Newest jobs</a>` : ''}${
    next ? html` <a href="/app/jobs${query({ ...f, cursor: next })}" rel="next">Older jobs</a>` : ''
  }</nav>`;
}

/** The table, re-fetched every second by htmx: the list updates without a reload. (The whole table, not
 * its body: a bare <tbody> fragment does not survive HTML parsing outside a table.) The poll's URL
 * carries the filters, so the live list stays filtered. */
export function jobTable(items: JobItem[], f: Filters, next?: string | null): Html {
  const q = new URLSearchParams(query(f).slice(1));
  q.set('seen', digest(items));
  return html`<div id="job-table" class="scroll" tabindex="0" role="region" aria-label="Jobs" aria-describedby="live-hint"
  hx-get="/app/jobs/rows?${q.toString()}" hx-trigger="every 1s" hx-swap="outerHTML"><table>
<thead><tr><th scope="col">Job</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Updated</th></tr></thead>
<tbody>
${
  items.length
    ? items.map(
        (j) => html`<tr data-job="${j.id}">
  <td><a href="/app/jobs/${j.id}">${j.id.slice(0, 8)}</a></td>
  <td>${statusBadge(j.status)}</td>
  <td>${when(j.created_at)}</td>
  <td>${when(j.updated_at)}</td>
</tr>`,
      )
    : html`<tr><td colspan="4">No jobs${f.status ? html` with status ${f.status}` : ''}${f.position ? ' for this position' : ''}.</td></tr>`
}
</tbody></table>${pager(f, next)}</div>`;
}

export function jobsPage(
  items: JobItem[],
  f: Filters,
  positions: { id: string; title: string; archived?: boolean }[] | undefined,
  next?: string | null,
): Html {
  return html`<form class="filters" method="get" action="/app/jobs">
  <div><label for="status">Status</label>
  <select id="status" name="status">
    <option value="">any</option>
    ${jobStatuses.map((s) => html`<option value="${s}"${f.status === s ? ' selected' : ''}>${s}</option>`)}
  </select></div>
  ${
    positions
      ? html`<div><label for="position">Position</label>
  <select id="position" name="position">
    <option value="">any</option>
    ${positions.map((p) => html`<option value="${p.id}"${f.position === p.id ? ' selected' : ''}>${p.title}${p.archived ? ' (archived)' : ''}</option>`)}
  </select></div>`
      : ''
  }
  <button type="submit">Filter</button>
</form>
<p class="hint" id="live-hint">This list updates by itself every second.</p>
${jobTable(items, f, next)}`;
}
