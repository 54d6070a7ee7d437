// The vocabulary's terms are found with one pattern shaped like a trie (match.ts trieSource) rather than a
// list of every term, longest first, which cost the more the vocabulary grew. The two must find the same
// terms at the same places: compared here over every document of the labelled sets and hostile strings.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trieSource } from '../../lib/evaluation/offline/match.ts';
import { FAMILIES } from '../../lib/evaluation/offline/vocabulary.ts';

const BEFORE = '(?<![\\p{L}\\p{N}_])(?:';
const AFTER = ')(?![\\p{L}\\p{N}_]|\\.[\\p{L}])';

/** The list form it replaced: every term, longest first. */
function listSource(terms: string[]): string {
  const escaped = (t: string) => t.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replace(/ /g, '[^\\S\\r\\n]+');
  return [...terms]
    .sort((a, b) => b.length - a.length)
    .map(escaped)
    .join('|');
}

const found = (re: RegExp, text: string) => [...text.matchAll(re)].map((m) => `${m.index}:${m[0]}`);

function documents(): string[] {
  const texts: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (/\.(txt|md)$/.test(e.name)) texts.push(readFileSync(path, 'utf8'));
    }
  };
  walk(new URL('../../eval', import.meta.url).pathname);
  return texts;
}

describe('the term trie', () => {
  const terms = [...new Set(FAMILIES.flatMap((f) => f.terms.map((t) => t.toLowerCase())))];

  it('finds what the longest-first list found, at the same places, in every labelled document', () => {
    const trie = new RegExp(`${BEFORE}${trieSource(terms)}${AFTER}`, 'giu');
    const list = new RegExp(`${BEFORE}${listSource(terms)}${AFTER}`, 'giu');
    const texts = documents();
    expect(texts.length).toBeGreaterThan(100);
    let hits = 0;
    for (const text of texts) {
      const expected = found(list, text);
      expect(found(trie, text)).toEqual(expected);
      hits += expected.length;
    }
    expect(hits).toBeGreaterThan(1000);
  });

  it('prefers the longer term, gives back to a shorter one at a word boundary, and spans runs of spaces', () => {
    const some = ['data', 'data warehouse', 'data warehouses', 'c', 'c++', 'ci/cd', 'a/b tests', 'node.js'];
    const trie = new RegExp(`${BEFORE}${trieSource(some)}${AFTER}`, 'giu');
    const list = new RegExp(`${BEFORE}${listSource(some)}${AFTER}`, 'giu');
    for (const text of [
      'Data  Warehouses and data warehousing; C++ or C, CI/CD, A/B\u00a0tests',
      'node.js node.jsx data.Warehouse datawarehouse',
      'data\nwarehouse',
    ])
      expect(found(trie, text)).toEqual(found(list, text));
    // "data warehouse" is followed by a letter: the match gives back to "data"
    expect(found(trie, 'data warehousing')).toEqual(['0:data']);
    expect(found(trie, 'Data  Warehouses')).toEqual(['0:Data  Warehouses']);
  });
});
