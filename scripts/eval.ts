// npm run eval: runs the configured provider (LLM_PROVIDER, offline by default) over the calibration
// corpus in eval/corpus and prints ranking quality per job, stuffing and injection resistance, negated
// reports, score spread, run-to-run variance and CPU per document. The last line is JSON. Exits 1 below
// the goals; the ranking goals hold for every job, not only pooled.
//   npm run eval [-- --runs 2] [--corpus eval/corpus]
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config.ts';
import { loadCorpus } from '../lib/evaluation/calibration/corpus.ts';
import { GOALS, runCalibration } from '../lib/evaluation/calibration/run.ts';
import { pipelineScorer } from '../lib/evaluation/calibration/scorer.ts';
import { createProvider } from '../lib/evaluation/providers/index.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '2' }, corpus: { type: 'string', default: 'eval/corpus' } },
});
const config = loadConfig();
const provider = await createProvider({ ...config.llm, offlineDelayMs: 0 });
const corpus = loadCorpus(values.corpus);
const started = Date.now();
const r = await runCalibration(corpus, pipelineScorer(provider), Number(values.runs));
const pct = (x: number) => x.toFixed(3);
console.log(
  `provider ${provider.name} (${provider.model}); ${Object.keys(corpus.cvs).length} CVs, ${Object.keys(corpus.reports).length} reports, ${Object.keys(r.cv).length} jobs, ${r.runs} runs`,
);
const mark = (x: number, goal: number, pairs: number) => (pairs === 0 ? ' ' : x >= goal ? '✓' : '✗');
const width = Math.max(13, ...Object.keys(r.cv).map((j) => j.length));
for (const kind of ['cv', 'reports'] as const) {
  for (const [job, m] of Object.entries(r[kind])) {
    console.log(
      `${kind.padEnd(7)} ${job.padEnd(width)} pairwise ${pct(m.pairwise)}${mark(m.pairwise, GOALS.pairwise, m.pairs)} (${m.pairs} pairs)  nDCG@5 ${pct(m.ndcg5)}${mark(m.ndcg5, GOALS.ndcg5, m.pairs)}  Kendall τ ${pct(m.kendallTau)}  spread ${m.spread.min}–${m.spread.max} (sd ${m.spread.stdev})`,
    );
    for (const w of m.misordered.slice(0, 3)) console.log(`          misordered: ${w}`);
  }
}
console.log(
  `pairwise accuracy pooled over jobs: CVs ${pct(r.pairwise.cv)}, reports ${pct(r.pairwise.reports)}; goals per job: pairwise ≥ ${GOALS.pairwise} and nDCG@5 ≥ ${GOALS.ndcg5} for CVs and for reports`,
);
for (const s of r.stuffing)
  console.log(
    `stuffing  ${s.job}: ${s.cv} ${s.score} vs lowest qualified ${s.lowestQualified} → ${s.below ? 'below' : 'NOT below'}`,
  );
for (const i of r.injection)
  console.log(
    `injection ${i.job}: ${i.doc} Δ ${i.delta} (goal ≤ ${GOALS.injectionMaxDelta}), ${i.flagged ? 'flagged' : 'NOT flagged'}`,
  );
for (const n of r.negated) console.log(`negated   ${n.job}: ${n.report} ${n.score}/10 (goal ≤ ${n.max})`);
for (const s of r.softSkillsOnly)
  console.log(`soft skills only ${s.job}: ${s.cv} ${s.score} (rank ${s.rank} of ${s.of})`);
for (const c of r.cannotScreen)
  console.log(`vague job ${c.job}: ${c.refused ? 'refused (cannot screen)' : 'SCREENED'}`);
for (const o of r.otherLanguage)
  console.log(`other language: ${o.cv} ${o.flagged ? 'flagged language_unsupported' : 'NOT flagged'}`);
console.log(
  `run-to-run variance: max |Δ| ${r.variance.maxDelta} over ${r.runs} runs; ${Date.now() - started} ms; CPU (median) ${r.cpuMs.cv} ms per CV, ${r.cpuMs.report} ms per report, whole pipeline`,
);
for (const f of r.failures) console.log(`✗ ${f}`);
console.log(
  JSON.stringify({
    ok: r.failures.length === 0,
    provider: provider.name,
    pairwise: r.pairwise,
    pairwisePerJob: Object.fromEntries(Object.entries(r.cv).map(([j, m]) => [j, m.pairwise])),
    pairwiseReports: Object.fromEntries(Object.entries(r.reports).map(([j, m]) => [j, m.pairwise])),
    ndcg5: Object.fromEntries(Object.entries(r.cv).map(([j, m]) => [j, m.ndcg5])),
    ndcg5Reports: Object.fromEntries(Object.entries(r.reports).map(([j, m]) => [j, m.ndcg5])),
    kendallTau: Object.fromEntries(Object.entries(r.cv).map(([j, m]) => [j, m.kendallTau])),
    stuffingBelowQualified: r.stuffing.every((s) => s.below),
    injectionMaxDelta: Math.max(...r.injection.map((i) => i.delta)),
    injectionFlagged: r.injection.every((i) => i.flagged),
    negated: r.negated.map((n) => n.score),
    variance: r.variance.maxDelta,
    cpuMs: r.cpuMs,
    failures: r.failures.length,
  }),
);
process.exit(r.failures.length === 0 ? 0 : 1);
