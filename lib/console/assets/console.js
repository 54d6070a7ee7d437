// Progressive enhancement for the console. Candidates: drag-and-drop of several CV + report pairs,
// per-file upload progress (XMLHttpRequest reports upload progress; fetch does not), refusals in plain
// words, then one evaluation per pair. The API key never reaches this script: requests ride on the
// HttpOnly session cookie and carry the per-session CSRF token.
(() => {
  const form = document.getElementById('candidates');
  if (!form) return;
  const csrf = form.dataset.csrf;
  const pairs = document.getElementById('pairs');
  const template = document.getElementById('pair-template');
  const status = document.getElementById('form-status');

  const addPair = () => {
    const n = pairs.querySelectorAll('.pair').length + 1;
    pairs.insertAdjacentHTML('beforeend', template.innerHTML.replaceAll('__N__', String(n)));
    return pairs.lastElementChild;
  };
  document.getElementById('add-pair').addEventListener('click', () => {
    addPair().querySelector('input').focus();
  });

  const setFile = (input, file) => {
    const dt = new DataTransfer();
    dt.items.add(file);
    input.files = dt.files;
  };
  const isCv = (name) => /(^|[^a-z])(cv|resume|résumé|curriculum|lebenslauf)([^a-z]|$)/i.test(name);
  const byName = (a, b) => a.name.localeCompare(b.name);
  const fill = (kind, files) => {
    for (const file of files) {
      let slot = [...pairs.querySelectorAll(`input[name=${kind}]`)].find((i) => !i.files.length);
      if (!slot) slot = addPair().querySelector(`input[name=${kind}]`);
      setFile(slot, file);
    }
  };
  const zone = document.getElementById('dropzone');
  for (const ev of ['dragenter', 'dragover'])
    zone.addEventListener(ev, (e) => {
      e.preventDefault();
      zone.classList.add('over');
    });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const files = [...e.dataTransfer.files].sort(byName);
    fill(
      'cv',
      files.filter((f) => isCv(f.name)),
    );
    fill(
      'project',
      files.filter((f) => !isCv(f.name)),
    );
    status.textContent = `${files.length} file(s) added.`;
  });

  const send = (url, body, onProgress) =>
    new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', url);
      xhr.setRequestHeader('x-csrf-token', csrf);
      xhr.setRequestHeader('x-requested-with', 'fetch');
      if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded);
      xhr.onload = () => {
        let data = {};
        try {
          data = JSON.parse(xhr.responseText);
        } catch {
          data = { error: xhr.responseText || `error ${xhr.status}` };
        }
        resolve({ ok: xhr.status < 300, data });
      };
      xhr.onerror = () => resolve({ ok: false, data: { error: 'The network connection failed.' } });
      xhr.send(body);
    });

  const runPair = async (fs) => {
    const cv = fs.querySelector('input[name=cv]');
    const project = fs.querySelector('input[name=project]');
    const say = fs.querySelector('.pair-status');
    const bars = fs.querySelectorAll('progress');
    fs.classList.remove('refused', 'done');
    if (!cv.files.length && !project.files.length) return 'empty';
    if (!cv.files.length || !project.files.length) {
      say.textContent = 'Both a CV and a project report are needed.';
      fs.classList.add('refused');
      return 'refused';
    }
    const cvSize = cv.files[0].size || 1;
    const body = new FormData();
    body.append('cv', cv.files[0]);
    body.append('project', project.files[0]);
    say.textContent = 'Uploading…';
    const up = await send('/app/candidates/upload', body, (loaded) => {
      bars[0].value = Math.min(100, (loaded / cvSize) * 100);
      bars[1].value = Math.max(0, Math.min(100, ((loaded - cvSize) / (project.files[0].size || 1)) * 100));
    });
    if (!up.ok) {
      say.textContent = `Refused: ${up.data.error}`;
      fs.classList.add('refused');
      return 'refused';
    }
    bars[0].value = bars[1].value = 100;
    say.textContent = 'Uploaded; starting the evaluation…';
    const ev = await send(
      '/app/candidates/evaluate',
      JSON.stringify({
        cv_id: up.data.cv_id,
        project_id: up.data.project_id,
        job_description: form.job_description.value,
        position_id: form.position_id?.value ?? '',
      }),
    );
    if (!ev.ok) {
      say.textContent = `Uploaded, but the evaluation was not started: ${ev.data.error}`;
      fs.classList.add('refused');
      return 'refused';
    }
    say.innerHTML = '';
    const a = document.createElement('a');
    a.href = `/app/jobs/${ev.data.id}`;
    a.textContent = `Evaluation ${ev.data.id.slice(0, 8)} queued — view it`;
    say.append(a);
    fs.classList.add('done');
    return 'started';
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    status.textContent = 'Working…';
    const outcomes = [];
    for (const fs of pairs.querySelectorAll('.pair')) outcomes.push(await runPair(fs));
    const started = outcomes.filter((o) => o === 'started').length;
    const refused = outcomes.filter((o) => o === 'refused').length;
    status.textContent = `${started} evaluation(s) started${refused ? `, ${refused} candidate(s) refused — see above` : ''}.`;
    button.disabled = false;
  });
})();
