// The offline provider: the default when no LLM is configured. Deterministic and explainable: it
// scores from the documents themselves (lib/evaluation/offline) and quotes the sentences it matched.
// Its provenance says "offline"; it never poses as an LLM.
import { reader } from '../nlp.ts';
import { offlineCvAnswer, offlineProjectAnswer, offlineSummary } from '../offline/index.ts';
import type { Provider, ProviderAnswer, StepRequest } from '../types.ts';

export class OfflineProvider implements Provider {
  readonly name = 'offline';
  readonly model = 'offline-recruiter-v2';
  readonly kind = 'offline' as const;

  /** `delayMs` per step simulates an LLM's latency (load tests, the chaos verifier); 0 by default. */
  private readonly delayMs: number;
  constructor(options: { delayMs?: number } = {}) {
    this.delayMs = options.delayMs ?? 0;
  }

  warmUp(): void {
    reader().readDoc('Warm-up: this sentence loads the reader.').out();
  }

  async complete(request: StepRequest): Promise<ProviderAnswer> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    // the analysis is synchronous CPU work: let timers and network callbacks (Kafka heartbeats) run first
    else await new Promise((r) => setImmediate(r));
    const c = request.context;
    const answer =
      request.step === 'cv'
        ? (({ englishShare: _, ...a }) => a)(
            offlineCvAnswer(c.jobDescription, c.cvText, c.rubric.cv, c.injections.cv),
          )
        : request.step === 'project'
          ? offlineProjectAnswer(c.studyCaseBrief, c.projectText, c.rubric.project, c.injections.project)
          : { overall_summary: offlineSummary(c.cv!, c.project!) };
    return {
      content: JSON.stringify(answer),
      usage: { inputTokens: 0, outputTokens: 0 },
      model: this.model,
      outputMode: 'offline',
    };
  }
}
