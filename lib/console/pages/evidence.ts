// Evidence on the result page: the verified quotes per criterion, and the document text with each quote
// highlighted where the evaluator found it (offsets into the extracted text), plus the result's flags.
import { html } from 'hono/html';
import type { Html } from '../layout.ts';

interface Quote {
  quote: string;
  start: number;
  end: number;
}
export type EvidenceByDocument = Partial<Record<'cv' | 'project', Record<string, Quote[]>>>;
export interface Flag {
  code: string;
  detail: string;
  document?: string;
  parameter?: string;
}

const label = (k: string) => k.replace(/_/g, ' ');

/** The text with <mark>s at the quotes' offsets; overlapping quotes merge into one mark. */
export function highlighted(text: string, quotes: { start: number; end: number; criterion: string }[]): Html {
  const spans = quotes
    .filter((q) => Number.isInteger(q.start) && q.end > q.start && q.end <= text.length)
    .sort((a, b) => a.start - b.start);
  const merged: { start: number; end: number; criteria: Set<string> }[] = [];
  for (const q of spans) {
    const last = merged[merged.length - 1];
    if (last && q.start <= last.end) {
      last.end = Math.max(last.end, q.end);
      last.criteria.add(q.criterion);
    } else merged.push({ start: q.start, end: q.end, criteria: new Set([q.criterion]) });
  }
  const parts: (string | Html)[] = [];
  let at = 0;
  for (const m of merged) {
    parts.push(text.slice(at, m.start));
    const about = [...m.criteria].map(label).join(', ');
    parts.push(
      html`<mark data-criteria="${about}" title="evidence for ${about}">${text.slice(m.start, m.end)}</mark>`,
    );
    at = m.end;
  }
  parts.push(text.slice(at));
  return html`${parts}`;
}

export function evidenceSection(
  evidence: EvidenceByDocument | undefined,
  docs: { kind: string; filename: string; text: string }[],
): Html {
  if (!evidence) return html``;
  return html`<section aria-labelledby="ev-h"><h2 id="ev-h">Evidence</h2>
<p class="hint">Quotes the evaluator gave for each score, checked word for word against the document; they are highlighted in the text.</p>
<div class="grid2">
${(['cv', 'project'] as const).map((kind) => {
  const byCriterion = evidence[kind] ?? {};
  const doc = docs.find((d) => d.kind === kind);
  const name = kind === 'cv' ? 'CV' : 'Project report';
  const all = Object.entries(byCriterion).flatMap(([criterion, qs]) => qs.map((q) => ({ ...q, criterion })));
  return html`<div>
  <h3>${name}${doc ? html` <span class="hint">(${doc.filename})</span>` : ''}</h3>
  <dl class="quotes">${Object.entries(byCriterion).map(
    ([criterion, qs]) =>
      html`<dt>${label(criterion)}</dt>${
        qs.length
          ? qs.map((q) => html`<dd><q data-evidence="${kind}">${q.quote}</q></dd>`)
          : html`<dd class="hint">no quote</dd>`
      }`,
  )}</dl>
  ${
    doc
      ? html`<div class="doc" tabindex="0" role="region" aria-label="${name} text with evidence highlighted">${highlighted(doc.text, all)}</div>`
      : ''
  }
</div>`;
})}
</div></section>`;
}

const FLAG_WORDS: Record<string, string> = {
  injection_suspected: 'Injection suspected: the document contains text that tries to instruct the evaluator',
  needs_review: 'Needs review',
  score_without_evidence: 'A score has no supporting quote',
  quotes_dropped: 'Some quotes were not found in the document and were dropped',
  language_unsupported: 'The document is in a language the evaluator does not support well',
};

export function flagsSection(flags: Flag[] | undefined): Html {
  if (!flags?.length) return html``;
  return html`<section class="flags" aria-labelledby="flags-h" data-flags="${flags.map((f) => f.code).join(' ')}">
<h2 id="flags-h">Human review required</h2>
<p>This evaluation carries ${flags.length} flag${flags.length === 1 ? '' : 's'}; a person should check it before it informs a decision.</p>
<ul>${flags.map(
    (f) =>
      html`<li><strong>${FLAG_WORDS[f.code] ?? label(f.code)}</strong>${f.document ? ` (${f.document === 'cv' ? 'CV' : 'project report'}${f.parameter ? `, ${label(f.parameter)}` : ''})` : ''}: ${f.detail}</li>`,
  )}</ul>
</section>`;
}
