// The two pages of erasure: the confirmation (what will go, that it cannot be undone, a typed word) and
// the outcome (what went).
import { html } from 'hono/html';
import type { ErasurePreview } from '../../db/console-documents.ts';
import { type Html, statusBadge, when } from '../layout.ts';

/** The word the recruiter types to confirm; compared without case or surrounding spaces. */
export const CONFIRM_WORD = 'erase';

const kindName = (kind: string) => (kind === 'cv' ? 'CV' : 'Project report');
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function confirmErasurePage(o: {
  jobId: string;
  preview: ErasurePreview;
  csrf: string;
  error?: string;
}): Html {
  const { jobs, uploads } = o.preview;
  return html`<section class="danger-zone" aria-labelledby="warn-h">
<h2 id="warn-h">This cannot be undone</h2>
<p id="erase-warning">Erasing removes the candidate's documents, the text read from them, and every
evaluation that used them, with its scores, feedback and quotes. Nothing can be recovered afterwards.
An evaluation still queued or running is cancelled. Copies made outside this service (downloads, CSV
exports, webhook deliveries already received) are not affected.</p>
</section>
<section aria-labelledby="what-h"><h2 id="what-h">What will be erased</h2>
<h3>${plural(uploads.length, 'document', 'documents')}</h3>
<ul class="plain" data-erase-uploads>${uploads.map(
    (u) => html`<li data-upload="${u.id}"><strong>${kindName(u.kind)}</strong> ${u.filename}</li>`,
  )}</ul>
<h3>${plural(jobs.length, 'evaluation', 'evaluations')}, with ${jobs.length === 1 ? 'its result' : 'their results'}</h3>
<ul class="plain" data-erase-jobs>${jobs.map(
    (j) =>
      html`<li data-job="${j.id}"><a href="/app/jobs/${j.id}">${j.id.slice(0, 8)}</a> ${statusBadge(j.status)} submitted ${when(j.createdAt)}</li>`,
  )}</ul>
</section>
<form class="card" method="post" action="/app/jobs/${o.jobId}/erase" aria-labelledby="confirm-h">
<h2 id="confirm-h">Confirm</h2>
${o.error ? html`<p class="error" role="alert" id="confirm-error">${o.error}</p>` : ''}
<input type="hidden" name="_csrf" value="${o.csrf}">
<label for="confirm">Type <strong>${CONFIRM_WORD}</strong> to confirm</label>
<input id="confirm" name="confirm" type="text" required autocomplete="off" spellcheck="false"
  aria-describedby="${o.error ? 'confirm-error ' : ''}erase-warning"${o.error ? html` aria-invalid="true" autofocus` : ''}>
<div class="actions">
  <button type="submit" class="danger">Erase permanently</button>
  <a class="button-link" href="/app/jobs/${o.jobId}">Cancel, keep everything</a>
</div>
</form>`;
}

export function erasedPage(o: {
  jobIds: string[];
  uploads: { id: string; kind?: string }[];
  tombstoned: boolean;
}): Html {
  return html`<p class="notice" role="status" data-erased-jobs="${o.jobIds.length}" data-erased-uploads="${o.uploads.length}">
Erased ${plural(o.uploads.length, 'document', 'documents')} and ${plural(o.jobIds.length, 'evaluation', 'evaluations')}.</p>
<section aria-labelledby="gone-h"><h2 id="gone-h">What was erased</h2>
<h3>Documents (the file's record and the text read from it)</h3>
<ul class="plain">${o.uploads.map(
    (u) => html`<li><strong>${u.kind ? kindName(u.kind) : 'Document'}</strong> <code>${u.id}</code></li>`,
  )}</ul>
<h3>Evaluations (with their scores, feedback and quotes)</h3>
<ul class="plain">${o.jobIds.map((id) => html`<li><code>${id}</code></li>`)}</ul>
<p>${
    o.tombstoned
      ? 'Each evaluation’s result event on Kafka was marked for deletion (a tombstone): log compaction removes it within about two hours.'
      : 'The result events on Kafka could not be marked for deletion just now; the retention sweeper marks them within the hour.'
  } Only the evaluations’ ids remain, in the erasure log, so that a request still in the queue is skipped.</p>
</section>
<p><a href="/app/jobs">Back to the jobs</a></p>`;
}
