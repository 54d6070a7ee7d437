import { html } from 'hono/html';
import type { jobs, results } from '../../db/schema.ts';
import { CV_WEIGHTS, PROJECT_WEIGHTS } from '../../evaluation/rubric.ts';
import { barChart, rubricBars, rubricOrder } from '../chart.ts';
import { type Html, statusBadge, when } from '../layout.ts';
import { type EvidenceByDocument, evidenceSection, type Flag, flagsSection } from './evidence.ts';

type Job = typeof jobs.$inferSelect;
type Result = typeof results.$inferSelect;

const terminal = (s: string) => s === 'completed' || s === 'failed';

const flat = (v: unknown): string =>
  v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v);

function provenance(p: Record<string, unknown>): Html {
  return html`<section aria-labelledby="prov"><h2 id="prov">Provenance</h2>
<dl class="facts">${Object.entries(p)
    // the per-criterion scores are charted above
    .filter(([k]) => !['cvScores', 'projectScores', 'evidenceQuotes', 'flags'].includes(k))
    .map(([k, v]) => html`<dt>${k.replace(/_/g, ' ')}</dt><dd><code>${flat(v)}</code></dd>`)}</dl>
</section>`;
}

export type Documents = { kind: string; filename: string; text: string }[];

function completed(r: Result, docs: Documents): Html {
  const p = r.provenance as { evidenceQuotes?: EvidenceByDocument; flags?: Flag[] };
  const rate = Number(r.cvMatchRate);
  const score = Number(r.projectScore);
  return html`${flagsSection(p.flags)}<section aria-labelledby="overall"><h2 id="overall">Overall</h2>
<ul class="tiles">
  <li class="tile"><span class="tile-value" data-score="cv_match_rate">${Math.round(rate * 100)}%</span> CV match rate</li>
  <li class="tile"><span class="tile-value" data-score="project_score">${score.toFixed(1)}</span> project score (of 10)</li>
</ul>
<p class="summary">${r.overallSummary}</p>
</section>
<div class="grid2">
<section aria-labelledby="cv-h"><h2 id="cv-h">CV, per criterion</h2>
${barChart({ id: 'cv-chart', title: 'CV scores per criterion (1 to 5)', max: 5, bars: rubricBars(r.cvScores, rubricOrder(r.provenance, 'cv', CV_WEIGHTS)) })}
<p>${r.cvFeedback}</p>
</section>
<section aria-labelledby="pr-h"><h2 id="pr-h">Project report, per criterion</h2>
${barChart({ id: 'pr-chart', title: 'Project scores per criterion (1 to 5)', max: 5, bars: rubricBars(r.projectScores, rubricOrder(r.provenance, 'project', PROJECT_WEIGHTS)) })}
<p>${r.projectFeedback}</p>
</section>
</div>
${evidenceSection(p.evidenceQuotes, docs)}`;
}

/** The part of the result page that changes: polled every second until the job is terminal. */
export function outcome(job: Job, result: Result | null, docs: Documents = []): Html {
  const status = result?.outcome ?? job.status;
  const live = !terminal(status);
  return html`<div id="outcome" data-outcome="${status}" ${live ? html`hx-get="/app/jobs/${job.id}/outcome" hx-trigger="every 500ms" hx-swap="outerHTML"` : ''}>
<p class="status-line" role="status">Status: ${statusBadge(status)}${live ? ' — this page updates by itself.' : ''}</p>
${result?.outcome === 'completed' ? completed(result, docs) : ''}
${
  status === 'failed'
    ? html`<section aria-labelledby="fail-h"><h2 id="fail-h">Why it failed</h2>
<p class="error"><code>${result?.errorCode ?? job.errorCode}</code> ${result?.errorMessage ?? job.errorMessage}</p></section>`
    : ''
}
${result ? provenance(result.provenance) : ''}
</div>`;
}

export function resultPage(job: Job, result: Result | null, docs: Documents = []): Html {
  return html`<p class="meta">Job <code>${job.id}</code>, submitted ${when(job.createdAt)}${job.attempts ? `, ${job.attempts} attempt(s)` : ''}.</p>
${outcome(job, result, docs)}
<section aria-labelledby="erase-h"><h2 id="erase-h">Personal data</h2>
<p>On the candidate's request, erase their CV and project report and every evaluation of them.
The next page lists what will go and asks you to confirm.</p>
<p><a class="button-link danger-link" href="/app/jobs/${job.id}/erase">Erase this candidate's data…</a></p>
</section>`;
}
