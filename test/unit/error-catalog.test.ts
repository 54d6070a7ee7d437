// One catalog of error codes: /openapi.json lists every code a route can answer, each documented route
// lists the statuses those codes answer with, and no module spells a code outside the catalog.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../lib/api/app.ts';
import type { Database } from '../../lib/db/database.ts';
import { apiErrorCodes, errorCatalog, errorCodes } from '../../lib/errors.ts';
import { testLogger } from '../helpers/engine.ts';

const root = new URL('../../', import.meta.url).pathname;

async function openapi() {
  const app = createApp({
    db: {} as Database, // /openapi.json touches no database
    publish: async () => {},
    jobsTopic: 'unused',
    resultsTopic: 'unused',
    publishing: { leaseMs: 15_000, timeoutMs: 5_000 },
    uploadMaxBytes: 1024,
    logger: testLogger,
    readiness: {},
  });
  const res = await app.request('/openapi.json');
  expect(res.status).toBe(200);
  return (await res.json()) as {
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    components: { schemas: { Problem: { properties: { code: { enum: string[] } } } } };
  };
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

describe('the error catalog', () => {
  it('/openapi.json lists every code an API route can answer, and only those', async () => {
    const listed = (await openapi()).components.schemas.Problem.properties.code.enum;
    expect(new Set(listed)).toEqual(new Set(apiErrorCodes));
    for (const code of errorCodes) expect(listed.includes(code)).toBe(errorCatalog[code].api);
    // the enum is the catalog, not a copy of it: a job-only code must stay out
    expect(listed).not.toContain('PROVIDER_TIMEOUT');
  });

  it("every API code's status is documented on at least one route", async () => {
    const doc = await openapi();
    const documented = new Set(
      Object.values(doc.paths).flatMap((methods) =>
        Object.values(methods).flatMap((op) => Object.keys(op.responses ?? {})),
      ),
    );
    const missing = apiErrorCodes.filter((c) => !documented.has(String(errorCatalog[c].status)));
    expect(missing).toEqual([]);
  });

  it('no module under lib/ or functions/ spells a catalog code as a string literal', () => {
    const offenders: string[] = [];
    for (const file of [...sources(join(root, 'lib')), ...sources(join(root, 'functions'))]) {
      if (file.endsWith('lib/errors.ts')) continue;
      // the engine is generic and names its own fallback DLQ code (listed in the catalog for readers)
      if (file.includes('/lib/kafka/')) continue;
      const text = readFileSync(file, 'utf8');
      for (const code of errorCodes) {
        if (new RegExp(`['"\`]${code}['"\`]`).test(text)) offenders.push(`${file}: ${code}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
