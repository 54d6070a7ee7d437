// The calibration corpus shipped under eval/corpus: jobs (description + project brief), CVs, project
// reports and the graded labels a recruiter gave them (labels.json).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const labelsSchema = z.object({
  jobs: z.record(
    z.string(),
    z.object({ cvs: z.record(z.string(), z.number()), reports: z.record(z.string(), z.number()) }),
  ),
  stuffed: z.record(z.string(), z.array(z.string())),
  injected: z.array(
    z.object({ job: z.string(), cv: z.string().optional(), report: z.string().optional(), base: z.string() }),
  ),
  negated: z.array(z.object({ job: z.string(), report: z.string(), max: z.number() })),
  softSkillsOnly: z.array(z.string()),
  otherLanguage: z.array(z.string()),
  cannotScreen: z.array(z.string()),
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

export function loadCorpus(dir: string): Corpus {
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
  const corpus = { dir, jobs, cvs: texts(join(dir, 'cvs')), reports: texts(join(dir, 'reports')), labels };
  for (const [job, l] of Object.entries(labels.jobs)) {
    if (!jobs[job]) throw new Error(`labels.json names job ${job}, which has no directory`);
    for (const id of Object.keys(l.cvs)) if (!corpus.cvs[id]) throw new Error(`labels.json: no CV ${id}`);
    for (const id of Object.keys(l.reports))
      if (!corpus.reports[id]) throw new Error(`labels.json: no report ${id}`);
  }
  return corpus;
}
