// Runs a scorer over the calibration corpus and checks the goals: ranking quality per job, keyword
// stuffing, prompt injection, negated reports, jobs too vague to screen, and run-to-run variance.
import type { Corpus } from './corpus.ts';
import { type Graded, kendallTauB, ndcgAt, pairwiseAccuracy, round, spread } from './metrics.ts';

export type Scored = { score: number; flags: string[] } | { cannotScreen: string };

/** CV scores are 0..1 (match rate); report scores 0..10. */
export interface Scorer {
  cv(jobDescription: string, cvText: string): Promise<Scored>;
  report(brief: string, reportText: string): Promise<Scored>;
}

export const GOALS = {
  pairwise: 0.9,
  ndcg5: 0.9,
  /** on the match-rate scale (0..1); report scores are divided by 10 first */
  injectionMaxDelta: 0.05,
} as const;

export interface EvalReport {
  runs: number;
  cv: Record<string, JobMetrics>;
  reports: Record<string, JobMetrics>;
  pairwise: { cv: number; reports: number };
  stuffing: { job: string; cv: string; score: number; lowestQualified: number; below: boolean }[];
  injection: { job: string; doc: string; delta: number; flagged: boolean }[];
  negated: { job: string; report: string; score: number; max: number }[];
  softSkillsOnly: { job: string; cv: string; score: number; rank: number; of: number }[];
  cannotScreen: { job: string; refused: boolean }[];
  otherLanguage: { cv: string; flagged: boolean }[];
  variance: { maxDelta: number };
  /** median CPU milliseconds to score one CV or one report, through the whole pipeline */
  cpuMs: { cv: number; report: number };
  failures: string[];
}

interface JobMetrics {
  pairwise: number;
  pairs: number;
  ndcg5: number;
  kendallTau: number;
  spread: { min: number; max: number; stdev: number };
  misordered: string[];
}

const scoreOf = (s: Scored) => ('score' in s ? s.score : Number.NaN);

/** CPU time of the process while it scored each document, per kind (one document at a time). */
interface Cost {
  cv: number[];
  reports: number[];
}

async function timed<T>(cost: number[], run: () => Promise<T>): Promise<T> {
  const before = process.cpuUsage();
  const out = await run();
  const used = process.cpuUsage(before);
  cost.push((used.user + used.system) / 1000);
  return out;
}

/** The median: the first document pays for loading the NLP model, and a garbage collection lands anywhere. */
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : 0;
};

async function scoreAll(corpus: Corpus, scorer: Scorer, cost: Cost) {
  const cv: Record<string, Record<string, Scored>> = {};
  const reports: Record<string, Record<string, Scored>> = {};
  for (const job of Object.keys(corpus.labels.jobs)) {
    const { description, brief } = corpus.jobs[job]!;
    cv[job] = {};
    for (const [id, text] of Object.entries(corpus.cvs))
      cv[job][id] = await timed(cost.cv, () => scorer.cv(description, text));
    reports[job] = {};
    if (brief) {
      for (const [id, text] of Object.entries(corpus.reports))
        reports[job][id] = await timed(cost.reports, () => scorer.report(brief, text));
    }
  }
  return { cv, reports };
}

function jobMetrics(items: Graded[]): JobMetrics {
  const p = pairwiseAccuracy(items);
  const s = spread(items.map((i) => i.score));
  return {
    pairwise: round(p.accuracy),
    pairs: p.pairs,
    ndcg5: round(ndcgAt(items, 5)),
    kendallTau: round(kendallTauB(items)),
    spread: { min: round(s.min), max: round(s.max), stdev: round(s.stdev) },
    misordered: p.wrong.slice(0, 8),
  };
}

export async function runCalibration(corpus: Corpus, scorer: Scorer, runs = 2): Promise<EvalReport> {
  const all = [];
  const cost: Cost = { cv: [], reports: [] };
  for (let i = 0; i < runs; i++) all.push(await scoreAll(corpus, scorer, cost));
  const first = all[0]!;
  const L = corpus.labels;
  const injectedIds = new Set(L.injected.map((x) => x.cv ?? x.report));
  const failures: string[] = [];
  const report: EvalReport = {
    runs,
    cv: {},
    reports: {},
    pairwise: { cv: 0, reports: 0 },
    stuffing: [],
    injection: [],
    negated: [],
    softSkillsOnly: [],
    cannotScreen: [],
    otherLanguage: [],
    variance: { maxDelta: 0 },
    cpuMs: { cv: round(median(cost.cv), 2), report: round(median(cost.reports), 2) },
    failures,
  };
  const pooled = { cv: { right: 0, pairs: 0 }, reports: { right: 0, pairs: 0 } };
  for (const [job, labels] of Object.entries(L.jobs)) {
    for (const kind of ['cv', 'reports'] as const) {
      const scored = kind === 'cv' ? first.cv[job]! : first.reports[job]!;
      const graded = kind === 'cv' ? labels.cvs : labels.reports;
      const items: Graded[] = Object.entries(scored)
        .filter(([id]) => !injectedIds.has(id))
        .map(([id, s]) => ({ id, label: graded[id] ?? 0, score: scoreOf(s) }));
      if (items.length === 0) continue;
      const unscored = items.filter((i) => Number.isNaN(i.score));
      if (unscored.length)
        failures.push(`${job}/${kind}: no score for ${unscored.map((u) => u.id).join(', ')}`);
      const m = jobMetrics(items.filter((i) => !Number.isNaN(i.score)));
      report[kind][job] = m;
      pooled[kind].right += m.pairwise * m.pairs;
      pooled[kind].pairs += m.pairs;
      // the goals hold per job: a pooled figure can pass while one job's ranking is poor. A job whose
      // documents of this kind are all graded 0 has nothing to rank.
      if (m.pairs === 0) continue;
      if (m.pairwise < GOALS.pairwise)
        failures.push(`${job}/${kind}: pairwise ${m.pairwise} < ${GOALS.pairwise}`);
      if (m.ndcg5 < GOALS.ndcg5) failures.push(`${job}/${kind}: nDCG@5 ${m.ndcg5} < ${GOALS.ndcg5}`);
    }
    for (const id of L.stuffed[job] ?? []) {
      const score = scoreOf(first.cv[job]![id]!);
      const qualified = Object.entries(labels.cvs)
        .filter(([q, l]) => l >= 2 && !injectedIds.has(q))
        .map(([q]) => scoreOf(first.cv[job]![q]!));
      const lowestQualified = Math.min(...qualified);
      const below = score < lowestQualified;
      report.stuffing.push({ job, cv: id, score, lowestQualified, below });
      if (!below)
        failures.push(
          `${job}: stuffed CV ${id} (${score}) not below every qualified CV (${lowestQualified})`,
        );
    }
    for (const id of L.softSkillsOnly) {
      const scores = Object.values(first.cv[job]!).map(scoreOf);
      const score = scoreOf(first.cv[job]![id]!);
      report.softSkillsOnly.push({
        job,
        cv: id,
        score,
        rank: scores.filter((s) => s > score).length + 1,
        of: scores.length,
      });
    }
  }
  report.pairwise = {
    cv: round(pooled.cv.pairs ? pooled.cv.right / pooled.cv.pairs : 1),
    reports: round(pooled.reports.pairs ? pooled.reports.right / pooled.reports.pairs : 1),
  };
  if (report.pairwise.cv < GOALS.pairwise)
    failures.push(`CV pairwise ${report.pairwise.cv} < ${GOALS.pairwise}`);
  if (report.pairwise.reports < GOALS.pairwise)
    failures.push(`report pairwise ${report.pairwise.reports} < ${GOALS.pairwise}`);

  for (const inj of L.injected) {
    const doc = (inj.cv ?? inj.report)!;
    const scored = inj.cv ? first.cv[inj.job]! : first.reports[inj.job]!;
    const scale = inj.cv ? 1 : 10;
    const s = scored[doc]!;
    const delta = round(Math.abs(scoreOf(s) - scoreOf(scored[inj.base]!)) / scale);
    const flagged = 'flags' in s && s.flags.includes('injection_suspected');
    report.injection.push({ job: inj.job, doc, delta, flagged });
    if (!(delta <= GOALS.injectionMaxDelta)) failures.push(`${doc}: injection moved the score by ${delta}`);
    if (!flagged) failures.push(`${doc}: injection not flagged`);
  }
  for (const n of L.negated) {
    const score = scoreOf(first.reports[n.job]![n.report]!);
    report.negated.push({ job: n.job, report: n.report, score, max: n.max });
    if (!(score <= n.max)) failures.push(`${n.report}: negated report scored ${score} > ${n.max}`);
  }
  for (const job of L.cannotScreen) {
    const s = await scorer.cv(corpus.jobs[job]!.description, Object.values(corpus.cvs)[0]!);
    const refused = 'cannotScreen' in s;
    report.cannotScreen.push({ job, refused });
    if (!refused) failures.push(`job ${job}: a vague job description was screened instead of refused`);
  }
  for (const cv of L.otherLanguage) {
    const s = first.cv[Object.keys(L.jobs)[0]!]![cv]!;
    const flagged = 'flags' in s && s.flags.includes('language_unsupported');
    report.otherLanguage.push({ cv, flagged });
    if (!flagged) failures.push(`${cv}: a CV in another language was not flagged language_unsupported`);
  }
  let maxDelta = 0;
  for (const other of all.slice(1)) {
    for (const kind of ['cv', 'reports'] as const) {
      for (const [job, docs] of Object.entries(first[kind])) {
        const scale = kind === 'cv' ? 1 : 10;
        for (const [id, s] of Object.entries(docs)) {
          const d = Math.abs(scoreOf(s) - scoreOf(other[kind][job]![id]!)) / scale;
          if (Number.isFinite(d)) maxDelta = Math.max(maxDelta, d);
        }
      }
    }
  }
  report.variance.maxDelta = round(maxDelta);
  return report;
}
