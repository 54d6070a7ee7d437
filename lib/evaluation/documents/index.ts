// The default job description, case-study brief and scoring rubric shipped with the project; a request
// may override each of them.
import { readFileSync } from 'node:fs';

const read = (name: string) => readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');

export const defaultDocuments = {
  jobDescription: read('job-description.md'),
  studyCaseBrief: read('case-study-brief.md'),
  scoringRubric: read('scoring-rubric.md'),
};
