// How the offline vocabulary meets the spellings job descriptions and CVs use for the same skill: the other
// number of a multi-word term, a vendor's name before a tool, and professions beyond software, care and
// data analysis.
import { describe, expect, it } from 'vitest';
import { deriveRequirements, findMatches, pluralOf } from '../../lib/evaluation/offline/match.ts';
import { readDocument } from '../../lib/evaluation/offline/text.ts';

const found = (text: string) => findMatches(readDocument(text)).map((m) => `${m.family}:${m.term}`);
const required = (text: string) => deriveRequirements(readDocument(text));

describe('offline vocabulary: spellings of one skill', () => {
  it('a multi-word term matches with its last word in the plural, recorded as the term itself', () => {
    expect(pluralOf('star schema')).toBe('star schemas');
    expect(pluralOf('data warehouse')).toBe('data warehouses');
    expect(pluralOf('pivot table')).toBe('pivot tables');
    expect(pluralOf('hypothesis test')).toBe('hypothesis tests');
    // one word keeps its spelling; a last word in -s is no singular
    expect(pluralOf('cohort')).toBeUndefined();
    expect(pluralOf('data analysis')).toBeUndefined();
    expect(found('Modelled sales as star schemas in the warehouse.')).toContain('modelling:star schema');
    // the description's singular and the CV's plural are the same named term: full credit, not a sibling's
    const named = required('- Model data as a star schema.\n- Write SQL in BigQuery.\n- Python and pandas.');
    expect(named.find((r) => r.family === 'modelling')?.named.has('star schema')).toBe(true);
  });

  it('"statistical tests" are statistics as well as a test or model: the longer plural keeps both', () => {
    expect(found('Designed statistical tests for comparing models.')).toEqual(
      expect.arrayContaining(['model:statistical test', 'statistics:statistical test']),
    );
  });
});
