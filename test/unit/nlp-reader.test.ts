// The offline reader's wink-nlp pipe leaves out named entities and sentiment (two thirds of a full pass):
// that is only sound while no annotation it keeps depends on them. Every document of the calibration
// corpus, and each of their lines alone (role titles are read line by line), must read the same with
// either pipe — this fails if a wink-nlp or model upgrade makes them depend on each other.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nlp, reader } from '../../lib/evaluation/nlp.ts';

const root = new URL('../../', import.meta.url).pathname;

function texts(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((f) => {
    const path = join(dir, f.name);
    if (f.isDirectory()) return texts(path);
    return /\.(txt|md)$/.test(f.name) ? [readFileSync(path, 'utf8')] : [];
  });
}

function reading(instance: ReturnType<typeof nlp>, text: string): string {
  const its = instance.its;
  const doc = instance.readDoc(text);
  const tokens = doc.tokens();
  const sentences: unknown[] = [];
  doc.sentences().each((s: { out: (f: unknown) => unknown }) => sentences.push(s.out(its.span)));
  const as = <T>(f: T) => f as unknown as typeof its.value;
  return JSON.stringify([
    tokens.out(its.value),
    tokens.out(its.precedingSpaces),
    tokens.out(its.type),
    tokens.out(its.pos),
    tokens.out(its.negationFlag),
    tokens.out(its.stopWordFlag),
    tokens.out(as(its.lemma)),
    tokens.out(as(its.stem)),
    sentences,
  ]);
}

describe('the offline reader pipe', () => {
  it('reads every corpus document and line as the full pipe does', () => {
    const docs = [...texts(join(root, 'eval')), ...texts(join(root, 'samples'))];
    expect(docs.length).toBeGreaterThan(50);
    const all = [...docs, ...docs.flatMap((d) => d.split('\n'))];
    const differing = all.filter((t) => reading(reader(), t) !== reading(nlp(), t));
    expect(differing).toEqual([]);
  }, 60_000);

  // patches/wink-eng-lite-web-model+1.8.1.patch: the model's JSON is read when an instance is built, so
  // neither its text nor its parsed form stays in the module cache beside each instance's own copy
  it('leaves the model JSON out of the module cache once both instances are built', () => {
    reader();
    nlp();
    const cached = Object.keys(createRequire(import.meta.url).cache);
    expect(cached.some((k) => k.includes('wink-eng-lite-web-model'))).toBe(true);
    expect(cached.filter((k) => k.endsWith('eng-core-web-model.json'))).toEqual([]);
  }, 30_000);
});
