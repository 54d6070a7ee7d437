// bench:pipeline's "pipeline alone" drain rests on this: the replaying provider gives exactly what the
// offline provider gives, and answers the same documents only once.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultDocuments } from '../../lib/evaluation/documents/index.ts';
import { evaluate } from '../../lib/evaluation/pipeline.ts';
import { OfflineProvider } from '../../lib/evaluation/providers/offline.ts';

const sample = (name: string) => readFileSync(new URL(`../../samples/${name}`, import.meta.url), 'utf8');
// a fresh string each time, as each job's text read from the database is
const input = (cv: string) => ({
  cvText: ` ${sample(cv)}`.slice(1),
  projectText: sample('project-report.txt'),
  ...defaultDocuments,
});
const timeless = (r: Awaited<ReturnType<typeof evaluate>>) => ({
  ...r,
  provenance: { ...r.provenance, latencyMs: null, startedAt: null, finishedAt: null },
});

describe('the replaying provider of bench:pipeline', () => {
  it('answers as the offline provider does, each distinct set of documents once', async () => {
    const provider = new OfflineProvider();
    const before = timeless(await evaluate(input('cv-strong.txt'), provider));
    // loaded after that first evaluation: from here on, this test file's provider replays
    const { replayStats } = await import('../../scripts/bench/replayed-provider.ts');

    const first = timeless(await evaluate(input('cv-strong.txt'), provider));
    expect(replayStats).toEqual({ answered: 3, replayed: 0 }); // cv, project, summary
    const again = timeless(await evaluate(input('cv-strong.txt'), provider));
    expect(replayStats).toEqual({ answered: 3, replayed: 3 });
    expect(first).toEqual(before);
    expect(again).toEqual(before);

    // other documents are answered afresh, not given the first answer
    const weak = timeless(await evaluate(input('cv-weak.txt'), provider));
    expect(replayStats).toEqual({ answered: 6, replayed: 3 });
    expect(weak.cvMatchRate).not.toBe(before.cvMatchRate);
  });
});
