// What one evaluation costs in this process, with no Kafka and no database: the offline provider's whole
// evaluation; the same with its answers replayed (what the evaluation layer's own checks cost: quotes,
// scores, flags — the pipeline-alone drain's share of it); and the same replayed answers given by a
// provider of kind `llm`, as a remote model's would be (the texts redacted before they leave, the
// offline analysis run as a cross-check of the model's scores). CPU and wall time per evaluation.
import { evaluate } from '../../lib/evaluation/pipeline.ts';
import { OfflineProvider } from '../../lib/evaluation/providers/offline.ts';
import type { EvaluationInput, Provider, ProviderAnswer, StepRequest } from '../../lib/evaluation/types.ts';

export interface Cost {
  wallMsPerJob: number;
  cpuMsPerJob: number;
}

async function costOf(input: EvaluationInput, provider: Provider, n: number): Promise<Cost> {
  for (let i = 0; i < 20; i++) await evaluate(input, provider); // warm-up (JIT, NLP model)
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await evaluate(input, provider);
  const wallMs = (performance.now() - t0) / n;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000 / n;
  return { wallMsPerJob: Number(wallMs.toFixed(3)), cpuMsPerJob: Number(cpuMs.toFixed(3)) };
}

/** The offline provider's answers to this one input, given again for each step (the input never changes). */
function replaying(kind: Provider['kind'], offline: OfflineProvider): Provider {
  const answers = new Map<string, Promise<ProviderAnswer>>();
  return {
    name: 'replayed',
    model: offline.model,
    kind,
    complete(request: StepRequest) {
      let answer = answers.get(request.step);
      if (!answer) {
        answer = offline.complete(request);
        answers.set(request.step, answer);
      }
      return answer;
    },
  };
}

export async function evaluationCosts(input: EvaluationInput, n: number) {
  const offline = new OfflineProvider({ delayMs: 0 });
  return {
    offline: await costOf(input, offline, n),
    replayed: await costOf(input, replaying('offline', offline), n),
    replayedAsRemoteModel: await costOf(input, replaying('llm', offline), n),
  };
}
