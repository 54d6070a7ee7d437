// Preloaded (node --import) into the evaluate invocations of bench:pipeline's "pipeline alone" drain: the
// offline provider answers each distinct request once (its step and the five documents it reads: the
// prompts carry a tag drawn afresh per evaluation, which the offline provider does not read), and replays
// that answer for every later request that is the same. With the evaluator's own CPU taken out, what the
// drain measures is the pipeline's: Kafka, PostgreSQL, the exactly-once engine, the evaluation's checks of
// every answer (quotes, scores, flags) and the outcome write. That is a floor, not a remote model's cost:
// with a remote model an invocation also redacts the texts and runs the offline cross-check.
// With BENCH_REPLAY_STATS set (a directory), each process writes what it answered and replayed there as it
// exits, so the bench can tell that the replay took effect. Benchmarks only: nothing under lib/ or
// functions/ knows of it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OfflineProvider } from '../../lib/evaluation/providers/offline.ts';
import type { ProviderAnswer, StepRequest } from '../../lib/evaluation/types.ts';

const answer = OfflineProvider.prototype.complete;
/** by step, then by the documents joined: a string key costs one pass over them, a digest several */
const answers = new Map<string, Map<string, Promise<ProviderAnswer>>>();

/** answers the provider gave, and answers replayed: a test reads them */
export const replayStats = { answered: 0, replayed: 0 };

const statsDir = process.env.BENCH_REPLAY_STATS;
if (statsDir)
  process.on('exit', () => writeFileSync(join(statsDir, `${process.pid}.json`), JSON.stringify(replayStats)));

OfflineProvider.prototype.complete = function (this: OfflineProvider, request: StepRequest) {
  const c = request.context;
  const key = [c.cvText, c.projectText, c.jobDescription, c.studyCaseBrief, c.scoringRubric].join('\0');
  const byStep = answers.get(request.step) ?? new Map<string, Promise<ProviderAnswer>>();
  answers.set(request.step, byStep);
  let found = byStep.get(key);
  if (found) {
    if (replayStats.replayed++ === 0)
      process.stderr.write(
        `evaluate ${process.pid}: the offline provider's answers are replayed (bench:pipeline)\n`,
      );
  } else {
    replayStats.answered += 1;
    found = answer.call(this, request);
    byStep.set(key, found);
    found.catch(() => byStep.delete(key));
  }
  return found;
};
