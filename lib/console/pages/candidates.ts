import { html } from 'hono/html';
import type { Html } from '../layout.ts';

const accept =
  '.pdf,.docx,.txt,.md,application/pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document,text/plain';

const size = (b: number) =>
  b >= 1024 * 1024 ? `${Math.floor(b / (1024 * 1024))} MiB` : `${Math.floor(b / 1024)} KiB`;

export function pairFieldset(n: number | string): Html {
  return html`<fieldset class="pair" data-pair="${n}">
  <legend>Candidate ${n}</legend>
  <div class="files">
    <div class="file">
      <label for="cv-${n}">CV</label>
      <input id="cv-${n}" type="file" name="cv" accept="${accept}">
      <progress id="cv-${n}-progress" max="100" value="0" aria-label="CV ${n} upload progress"></progress>
    </div>
    <div class="file">
      <label for="project-${n}">Project report</label>
      <input id="project-${n}" type="file" name="project" accept="${accept}">
      <progress id="project-${n}-progress" max="100" value="0" aria-label="Project report ${n} upload progress"></progress>
    </div>
  </div>
  <p class="pair-status" role="status" aria-live="polite"></p>
</fieldset>`;
}

export function candidatesPage(o: {
  csrfToken: string;
  maxBytes: number;
  positions: { id: string; title: string }[] | undefined;
}): Html {
  return html`<form id="candidates" class="card" data-csrf="${o.csrfToken}" novalidate>
  <p>Add each candidate's CV and project report (PDF, Word .docx or plain text, at most
  ${size(o.maxBytes)} each). Drop several files at once: files whose name
  mentions “CV” or “resume” become CVs, the others project reports, paired in name order. You can correct
  any pair with its file fields.</p>
  <div id="dropzone" class="dropzone" aria-describedby="drop-help">
    <p id="drop-help">Drop CVs and project reports here</p>
  </div>
  <div id="pairs">${pairFieldset(1)}</div>
  <button type="button" id="add-pair" class="secondary">Add another candidate</button>
  ${
    o.positions?.length
      ? html`<label for="position_id">Position</label>
  <select id="position_id" name="position_id"><option value="">none (use the job description below)</option>
  ${o.positions.map((p) => html`<option value="${p.id}">${p.title}</option>`)}</select>`
      : ''
  }
  <label for="job_description">Job description (optional; the default vacancy is used when empty)</label>
  <textarea id="job_description" name="job_description" rows="4"></textarea>
  <button type="submit">Upload and evaluate</button>
  <p id="form-status" role="status" aria-live="polite"></p>
</form>
<template id="pair-template">${pairFieldset('__N__')}</template>`;
}
