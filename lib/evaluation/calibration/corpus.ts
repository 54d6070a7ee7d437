// The calibration corpus shipped under eval/corpus: jobs (description + project brief), CVs, project
// reports and the graded labels a recruiter gave them (labels.json).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const labelsSchema = z.object({
  jobs: z.record(
    z.string(),
    z.object({ cvs: z.record(z.string(), z.number()), reports: z.record(z.string(), z.number()) }),
  ),
  stuffed: z.record(z.string(), z.array(z.string())).default({}),
  injected: z
    .array(
      z.object({
        job: z.string(),
        cv: z.string().optional(),
        report: z.string().optional(),
        base: z.string(),
      }),
    )
    .default([]),
  negated: z.array(z.object({ job: z.string(), report: z.string(), max: z.number() })).default([]),
  softSkillsOnly: z.array(z.string()).default([]),
  otherLanguage: z.array(z.string()).default([]),
  cannotScreen: z.array(z.string()).default([]),
});
export type Labels = z.infer<typeof labelsSchema>;

export interface Corpus {
  dir: string;
  jobs: Record<string, { description: string; brief?: string }>;
  cvs: Record<string, string>;
  reports: Record<string, string>;
  labels: Labels;
}

function texts(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) {
    if (f.endsWith('.txt')) out[f.replace(/\.txt$/, '')] = readFileSync(join(dir, f), 'utf8');
  }
  return out;
}

/**
 * One corpus directory, or several separated by commas ("eval/corpus,eval/holdout"): each later one adds
 * jobs, documents and grades to the ones before (a hold-out set grades the shared CVs for its own jobs).
 */
export function loadCorpus(dirs: string): Corpus {
  const [first, ...rest] = dirs.split(',').map((d) => d.trim());
  const corpus = loadOne(first!);
  for (const dir of rest) {
    const more = loadOne(dir);
    Object.assign(corpus.jobs, more.jobs);
    Object.assign(corpus.cvs, more.cvs);
    Object.assign(corpus.reports, more.reports);
    const L = corpus.labels;
    for (const [job, l] of Object.entries(more.labels.jobs)) {
      const mine = L.jobs[job] ?? { cvs: {}, reports: {} };
      Object.assign(mine.cvs, l.cvs);
      Object.assign(mine.reports, l.reports);
      L.jobs[job] = mine;
    }
    for (const [job, ids] of Object.entries(more.labels.stuffed))
      L.stuffed[job] = [...(L.stuffed[job] ?? []), ...ids];
    L.injected.push(...more.labels.injected);
    L.negated.push(...more.labels.negated);
    L.softSkillsOnly.push(...more.labels.softSkillsOnly);
    L.otherLanguage.push(...more.labels.otherLanguage);
    L.cannotScreen.push(...more.labels.cannotScreen);
  }
  corpus.dir = dirs;
  check(corpus);
  return corpus;
}

function loadOne(dir: string): Corpus {
  const jobs: Corpus['jobs'] = {};
  for (const name of readdirSync(join(dir, 'jobs')).sort()) {
    const description = readFileSync(join(dir, 'jobs', name, 'job.md'), 'utf8');
    let brief: string | undefined;
    try {
      brief = readFileSync(join(dir, 'jobs', name, 'brief.md'), 'utf8');
    } catch {
      brief = undefined;
    }
    jobs[name] = { description, ...(brief ? { brief } : {}) };
  }
  const labels = labelsSchema.parse(JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')));
  const folder = (name: string) => (existsSync(join(dir, name)) ? texts(join(dir, name)) : {});
  return { dir, jobs, cvs: folder('cvs'), reports: folder('reports'), labels };
}

function check(corpus: Corpus): void {
  for (const [job, l] of Object.entries(corpus.labels.jobs)) {
    if (!corpus.jobs[job]) throw new Error(`labels.json names job ${job}, which has no directory`);
    for (const id of Object.keys(l.cvs)) if (!corpus.cvs[id]) throw new Error(`labels.json: no CV ${id}`);
    for (const id of Object.keys(l.reports))
      if (!corpus.reports[id]) throw new Error(`labels.json: no report ${id}`);
  }
}
