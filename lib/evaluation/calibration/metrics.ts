// Ranking metrics for the calibration corpus: how well scores order documents a recruiter graded 0–3.
// Ties count against the evaluator (half a pair, and the worse order in nDCG), so a flat scorer cannot
// look good.

export interface Graded {
  id: string;
  label: number;
  score: number;
}

/** Share of pairs with different labels that the scores put in the same order (a tie is half right). */
export function pairwiseAccuracy(items: Graded[]): { accuracy: number; pairs: number; wrong: string[] } {
  let pairs = 0;
  let right = 0;
  const wrong: string[] = [];
  for (const a of items) {
    for (const b of items) {
      if (a.label <= b.label) continue;
      pairs += 1;
      if (a.score > b.score) right += 1;
      else if (a.score === b.score) {
        right += 0.5;
        wrong.push(`${a.id} (${a.label}) = ${b.id} (${b.label})`);
      } else wrong.push(`${a.id} (${a.label}) < ${b.id} (${b.label})`);
    }
  }
  return { accuracy: pairs ? right / pairs : 1, pairs, wrong };
}

/** nDCG@k with gains 2^label − 1; among equal scores the lower label is ranked first (pessimistic). */
export function ndcgAt(items: Graded[], k: number): number {
  const ranked = [...items].sort((a, b) => b.score - a.score || a.label - b.label);
  const ideal = [...items].sort((a, b) => b.label - a.label);
  const dcg = (list: Graded[]) =>
    list.slice(0, k).reduce((sum, it, i) => sum + (2 ** it.label - 1) / Math.log2(i + 2), 0);
  const best = dcg(ideal);
  return best === 0 ? 1 : dcg(ranked) / best;
}

/** Kendall's τ-b between scores and labels (accounts for ties on both sides). */
export function kendallTauB(items: Graded[]): number {
  let concordant = 0;
  let discordant = 0;
  let tiesX = 0;
  let tiesY = 0;
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const dx = Math.sign(items[i]!.score - items[j]!.score);
      const dy = Math.sign(items[i]!.label - items[j]!.label);
      if (dx === 0 && dy === 0) continue;
      if (dx === 0) tiesX += 1;
      else if (dy === 0) tiesY += 1;
      else if (dx === dy) concordant += 1;
      else discordant += 1;
    }
  }
  const denom = Math.sqrt((concordant + discordant + tiesX) * (concordant + discordant + tiesY));
  return denom === 0 ? 0 : (concordant - discordant) / denom;
}

export function spread(scores: number[]): { min: number; max: number; stdev: number } {
  if (scores.length === 0) return { min: 0, max: 0, stdev: 0 };
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  const variance = scores.reduce((a, b) => a + (b - mean) ** 2, 0) / scores.length;
  return { min: Math.min(...scores), max: Math.max(...scores), stdev: Math.sqrt(variance) };
}

export const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
