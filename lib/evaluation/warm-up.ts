// Pays what an invocation's first evaluation would otherwise pay while its first jobs wait — the language
// models (~150 ms and ~35 MB), then the first pass of the offline analysis through V8's compilers and the
// default job description's and brief's requirements — before the function takes work. Measured by hand,
// in-process: the first job of a fresh process took 86 ms, 22 ms after practice evaluations (ten took
// 98 ms in all, most of it the first; three take ~90 ms).

import { withoutSpans } from '../telemetry/tracing.ts';
import { defaultDocuments } from './documents/index.ts';
import { evaluate } from './pipeline.ts';
import { OfflineProvider } from './providers/offline.ts';
import { redact, redactsFor } from './redact.ts';
import type { Provider } from './types.ts';

const PRACTICE_RUNS = 3;

/**
 * Redacts a sample when `evaluate()` would redact for this provider, warms the provider, then evaluates
 * the default documents offline a few times (the job description read as a CV, the brief as a report).
 * The practice never calls `provider`: an LLM is not paid for it. The offline analysis is warmed
 * whatever the provider, since it also cross-checks an LLM's scores. With `telemetry` on, the practice's
 * spans are suppressed: they are no job's.
 */
export async function warmUpEvaluation(
  provider: Provider,
  options: { telemetry?: boolean } = {},
): Promise<void> {
  if (redactsFor(provider)) redact('Warm-up: Jane Doe, jane@example.com.');
  provider.warmUp?.();
  const d = defaultDocuments;
  const practice = {
    cvText: d.jobDescription,
    projectText: d.studyCaseBrief,
    jobDescription: d.jobDescription,
    studyCaseBrief: d.studyCaseBrief,
    scoringRubric: d.scoringRubric,
  };
  const offline = new OfflineProvider();
  const practise = async () => {
    for (let i = 0; i < PRACTICE_RUNS; i++) await evaluate(practice, offline, { redact: false });
  };
  await (options.telemetry ? withoutSpans(practise) : practise());
}
