// Scores corpus documents through the real pipeline (the configured provider, evidence checks,
// injection flags), one document at a time against one job description or brief.
import { defaultDocuments } from '../documents/index.ts';
import { CannotScreenError, evaluate } from '../pipeline.ts';
import type { Provider } from '../types.ts';
import type { Scored, Scorer } from './run.ts';

const PLACEHOLDER_CV = 'Backend engineer. Built REST APIs in TypeScript on PostgreSQL (2020 – 2024).';
const PLACEHOLDER_REPORT = 'I built the endpoints, a queue and tests, with retries and a README.';

export function pipelineScorer(provider: Provider): Scorer {
  const run = async (document: 'cv' | 'project', input: Parameters<typeof evaluate>[0]): Promise<Scored> => {
    try {
      const r = await evaluate(input, provider);
      const flags = r.flags.filter((f) => !f.document || f.document === document).map((f) => f.code);
      return { score: document === 'cv' ? r.cvMatchRate : r.projectScore, flags };
    } catch (err) {
      if (err instanceof CannotScreenError) return { cannotScreen: err.message };
      throw err;
    }
  };
  return {
    cv: (jobDescription, cvText) =>
      run('cv', { ...defaultDocuments, jobDescription, cvText, projectText: PLACEHOLDER_REPORT }),
    report: (studyCaseBrief, projectText) =>
      run('project', { ...defaultDocuments, studyCaseBrief, projectText, cvText: PLACEHOLDER_CV }),
  };
}
