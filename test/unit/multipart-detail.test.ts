// A refusal of unexpected form fields names them, but a few and short: a hostile-upload audit saw a
// 15 KB field name echoed whole in the problem's detail.
import { describe, expect, it } from 'vitest';
import { unexpectedFieldsDetail } from '../../lib/api/multipart.ts';

describe('unexpected fields', () => {
  it('names up to five fields, each cut at 40 characters, and counts the rest', () => {
    expect(unexpectedFieldsDetail(['note'])).toBe('unexpected form fields: "note"');
    const detail = unexpectedFieldsDetail(['x'.repeat(15_000), 'a', 'b', 'c', 'd', 'e', 'f']);
    expect(detail.length).toBeLessThan(150);
    expect(detail).toContain(`"${'x'.repeat(40)}…"`);
    expect(detail).toMatch(/and 2 more$/);
  });
});
