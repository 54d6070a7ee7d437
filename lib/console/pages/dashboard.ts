import { html } from 'hono/html';
import type { DashboardStats } from '../../db/console-stats.ts';
import { jobStatuses } from '../../db/schema.ts';
import { columnChart } from '../chart.ts';
import { digest, type Html, statusBadge, when } from '../layout.ts';

export interface QueueStats {
  /** messages not yet consumed by the evaluator group, all clients */
  lag: number;
  /** records in the dead-letter topic, all clients */
  dlq: number;
}

const seconds = (s: number) =>
  s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;

export function dashboardFigures(stats: DashboardStats, queue: QueueStats | undefined): Html {
  const lastHour = stats.throughput.reduce((s, b) => s + b.count, 0);
  return html`<div id="figures" hx-get="/app/dashboard/figures?seen=${digest({ stats, queue })}" hx-trigger="every 5s" hx-swap="outerHTML">
<section aria-labelledby="by-status"><h2 id="by-status">Jobs by status</h2>
<ul class="tiles">${jobStatuses.map(
    (s) =>
      html`<li class="tile"><span class="tile-value" data-count="${s}">${stats.byStatus[s] ?? 0}</span> ${statusBadge(s)}</li>`,
  )}</ul></section>
<div class="grid2">
<section aria-labelledby="throughput"><h2 id="throughput">Throughput, last hour</h2>
<p><strong>${lastHour}</strong> evaluations finished in the last hour.</p>
${columnChart({
  id: 'tp',
  title: 'Evaluations finished per 5 minutes (oldest left)',
  bars: stats.throughput.map((b) => ({ label: `-${b.minutesAgo}m`, value: b.count })),
})}
</section>
<section aria-labelledby="queue"><h2 id="queue">Queue</h2>
<dl class="facts">
  <dt>Your oldest waiting job</dt><dd>${stats.oldestWaitingSeconds ? `waiting for ${seconds(stats.oldestWaitingSeconds)}` : 'none waiting'}</dd>
  <dt>Queue lag (all clients)</dt><dd>${queue ? `${queue.lag} request${queue.lag === 1 ? '' : 's'} not yet taken by an evaluator` : 'not available'}</dd>
  <dt>Dead-letter queue (all clients)</dt><dd data-dlq>${queue ? `${queue.dlq} record${queue.dlq === 1 ? '' : 's'}` : 'not available'}</dd>
</dl></section>
</div>
<section aria-labelledby="failures"><h2 id="failures">Recent failures</h2>
${
  stats.recentFailures.length
    ? html`<div class="scroll" tabindex="0" role="region" aria-label="Recent failures"><table>
<thead><tr><th scope="col">Job</th><th scope="col">Reason</th><th scope="col">When</th></tr></thead>
<tbody>${stats.recentFailures.map(
        (f) =>
          html`<tr><td><a href="/app/jobs/${f.id}">${f.id.slice(0, 8)}</a></td><td><code>${f.code}</code> ${f.message}</td><td>${when(f.at)}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p>No failed evaluations.</p>`
}
</section>
</div>`;
}
