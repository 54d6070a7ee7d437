// Small pieces every route file uses the same way: a JSON response declaration, the uuid test that
// turns a malformed id into "not found", and opaque page cursors (base64url JSON) that refuse anything
// this API did not hand out.
import { z } from '@hono/zod-openapi';
import { codes } from '../errors.ts';
import { Problem } from './middleware/problem.ts';

export const json = <T>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const isUuid = (id: string) => z.uuid().safeParse(id).success;

export const isTime = (t: unknown) => typeof t === 'string' && !Number.isNaN(Date.parse(t));

export const encodeCursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** The cursor's fields when `check` accepts them; a 400 INVALID_CURSOR otherwise. */
export function decodeCursor<T extends Record<string, unknown>>(
  raw: string | undefined,
  check: (v: T) => boolean,
): T | undefined {
  if (!raw) return undefined;
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString()) as T;
    if (v && typeof v === 'object' && check(v)) return v;
  } catch {}
  throw new Problem(codes.INVALID_CURSOR, 'the cursor is not one this API returned');
}

/** A (created-at, id) keyset position: the cursor of the lists ordered newest first. */
export const decodeTimeIdCursor = (raw: string | undefined) => {
  const after = decodeCursor<{ t: string; id: string }>(raw, (v) => isTime(v.t) && isUuid(String(v.id)));
  return after && { createdAt: after.t, id: after.id };
};

/**
 * A page of `limit` from rows fetched with limit + 1, and the cursor of the next page when there is one
 * (the row after the page shows there is).
 */
export function keysetPage<R>(
  rows: R[],
  limit: number,
  position: (last: R) => { cursorTime: string; id: string },
): { page: R[]; next: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  if (rows.length <= limit || !last) return { page, next: null };
  const p = position(last);
  return { page, next: encodeCursor({ t: p.cursorTime, id: p.id }) };
}
