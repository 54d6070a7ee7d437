// How the offline vocabulary meets the spellings job descriptions and CVs use for the same skill: the other
// number of a multi-word term, a vendor's name before a tool, and professions beyond software, care and
// data analysis.
import { describe, expect, it } from 'vitest';
import { fieldProfile } from '../../lib/evaluation/offline/field.ts';
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

  it('Spark is a requirement of its own, and a vendor before a known tool makes no name requirement', () => {
    const jd = `# Data Engineer

- Build batch and streaming data pipelines; orchestrate them with Apache Airflow.
- Process large datasets with Apache Spark (PySpark) on AWS Glue.
- Write transformations in SQL and dbt in a Snowflake warehouse.
- 3+ years of data engineering.`;
    const ids = required(jd).map((r) => r.family);
    expect(ids).toContain('big_data');
    expect(ids).toContain('data_quality');
    // "Apache Airflow" is the vocabulary's Airflow, "Apache" before Spark names nothing; an unknown
    // tool keeps its vendor ("AWS Glue" is not any glue)
    expect(ids.filter((id) => id.startsWith('name:apache'))).toEqual([]);
    expect(ids).not.toContain('name:pyspark');
    expect(ids.filter((id) => id.startsWith('name:') && id.includes('glue'))).toHaveLength(1);
    expect(ids).not.toContain('name:glue');
  });

  it("a Spark job is a distributed system too: a data engineer's Spark is not off-field for a software job", () => {
    const ms = findMatches(readDocument('- Built ETL jobs in Apache Spark and PySpark.'));
    expect(ms.map((m) => m.family)).toEqual(expect.arrayContaining(['big_data', 'distributed']));
    const spark = ms.filter((m) => m.term.includes('spark'));
    expect(fieldProfile(spark, new Set(['software']))).toEqual({ on: 1, off: 0 });
    expect(fieldProfile(spark, new Set(['data']))).toEqual({ on: 1, off: 0 });
  });
});
