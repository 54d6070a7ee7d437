// Server-rendered SVG bar charts: no chart library and no script, readable without CSS, and the values are
// in the text (and in the accessible name) rather than only in bar lengths.
import { html } from 'hono/html';

export interface Bar {
  label: string;
  value: number;
}

const label = (key: string) => key.replace(/_/g, ' ');

/**
 * A document's per-criterion scores as bars in the rubric's order (its heaviest criterion first), with the
 * criteria the rubric does not list after them. Found from outside: the bars came in the stored JSON's key
 * order (PostgreSQL's jsonb sorts keys by length), so "cultural fit" (15%) led every CV chart and
 * "technical skills" (40%) came third.
 */
export function rubricBars(scores: Record<string, number> | null | undefined, order: string[]): Bar[] {
  const entries = Object.entries(scores ?? {});
  const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
  return entries
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([key, value]) => ({ label: key, value }));
}

/** The criteria of one document in the order the evaluation's rubric (its provenance) gives them. */
export function rubricOrder(
  provenance: unknown,
  document: 'cv' | 'project',
  fallback: Record<string, number>,
): string[] {
  const params = (provenance as { rubric?: Record<string, { key?: unknown }[]> } | null)?.rubric?.[document];
  const keys = Array.isArray(params) ? params.map((p) => p?.key).filter((k) => typeof k === 'string') : [];
  return keys.length ? (keys as string[]) : Object.keys(fallback);
}

/** Horizontal bars on a fixed scale (e.g. 1..5 per rubric criterion). */
export function barChart(o: { id: string; title: string; bars: Bar[]; max: number; unit?: string }) {
  const rowH = 34;
  const labelW = 190;
  const barW = 260;
  const width = labelW + barW + 60;
  const height = o.bars.length * rowH + 8;
  const summary = o.bars.map((b) => `${label(b.label)} ${b.value} of ${o.max}`).join(', ');
  return html`<figure class="chart">
  <figcaption id="${o.id}-caption">${o.title}</figcaption>
  <svg role="img" aria-labelledby="${o.id}-caption ${o.id}-desc" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMinYMin meet">
    <desc id="${o.id}-desc">${summary}</desc>
    ${o.bars.map((b, i) => {
      const y = i * rowH + 4;
      const w = Math.max(2, (Math.min(b.value, o.max) / o.max) * barW);
      return html`<g data-criterion="${b.label}">
      <text x="0" y="${y + 20}" class="chart-label">${label(b.label)}</text>
      <rect x="${labelW}" y="${y + 4}" width="${barW}" height="22" class="chart-track"></rect>
      <rect x="${labelW}" y="${y + 4}" width="${w.toFixed(1)}" height="22" class="chart-bar"></rect>
      <text x="${labelW + barW + 8}" y="${y + 20}" class="chart-value">${b.value}${o.unit ?? ''}</text>
    </g>`;
    })}
  </svg>
</figure>`;
}

/** Vertical columns over time buckets (throughput). */
export function columnChart(o: { id: string; title: string; bars: Bar[] }) {
  const colW = 22;
  const gap = 6;
  const h = 120;
  const max = Math.max(1, ...o.bars.map((b) => b.value));
  const width = o.bars.length * (colW + gap) + 10;
  const total = o.bars.reduce((s, b) => s + b.value, 0);
  return html`<figure class="chart">
  <figcaption id="${o.id}-caption">${o.title}</figcaption>
  <svg role="img" aria-labelledby="${o.id}-caption ${o.id}-desc" viewBox="0 0 ${width} ${h + 24}" width="100%" preserveAspectRatio="xMinYMin meet">
    <desc id="${o.id}-desc">${total} in total; ${o.bars.map((b) => `${b.label}: ${b.value}`).join(', ')}</desc>
    ${o.bars.map((b, i) => {
      const bh = (b.value / max) * h;
      const x = i * (colW + gap) + 5;
      return html`<rect x="${x}" y="${(h - bh).toFixed(1)}" width="${colW}" height="${Math.max(bh, 1).toFixed(1)}" class="chart-bar"><title>${b.label}: ${b.value}</title></rect>
      ${i % 3 === 0 ? html`<text x="${x}" y="${h + 18}" class="chart-axis">${b.label}</text>` : ''}`;
    })}
  </svg>
</figure>`;
}
