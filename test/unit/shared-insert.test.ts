// The shared insert's failure policy (lib/db/jobs.ts), as pure logic: a statement that fails for an
// outage (a statement timeout included) fails its requests at once; one that fails for any other reason
// (a value PostgreSQL refuses, a deadlock) is retried one request at a time. The database is a stand-in that
// counts statements and fails each with a given SQLSTATE or network code; the real-PostgreSQL cases
// (statement counts, a NUL character, a deadlock with an eraser) are in integration/accept-job.test.ts.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../lib/db/database.ts';
import { insertJobIfUploadsMatch } from '../../lib/db/jobs.ts';

function failingDatabase(code: string) {
  const db = {
    statements: 0,
    $client: () => {
      db.statements += 1;
      return Promise.reject(Object.assign(new Error(`failed with ${code}`), { code }));
    },
  };
  return db;
}

const job = () => ({
  clientId: randomUUID(),
  idempotencyKey: randomUUID(),
  requestFingerprint: 'f',
  cvId: randomUUID(),
  projectId: randomUUID(),
  jobDescription: null,
  studyCaseBrief: null,
  scoringRubric: null,
});

async function fiveInOneTick(code: string) {
  const db = failingDatabase(code);
  const answers = await Promise.all(
    Array.from({ length: 5 }, () =>
      insertJobIfUploadsMatch(db as unknown as Database, job(), 15_000, 1000).then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      ),
    ),
  );
  return { answers, statements: db.statements };
}

describe('the shared insert when its statement fails', () => {
  for (const code of ['ECONNREFUSED', 'CONNECTION_CLOSED', '57P01', '08006', '57014']) {
    it(`${code} (an outage): every request fails with it at once, no request is retried`, async () => {
      expect(await fiveInOneTick(code)).toEqual({ answers: Array(5).fill(code), statements: 1 });
    });
  }
  for (const code of ['22021', '40P01', '23503', '23505']) {
    it(`${code}: each request is retried alone, so its own error stays its own`, async () => {
      expect(await fiveInOneTick(code)).toEqual({ answers: Array(5).fill(code), statements: 1 + 5 });
    });
  }
});

describe('the shared insert splits a tick', () => {
  /** answers every statement with "key taken" for each of its requests; counts statements */
  function answeringDatabase() {
    const db = {
      statements: 0,
      $client: (_strings: TemplateStringsArray, ...values: unknown[]) => {
        db.statements += 1;
        const rows = (values[0] as string[]).map(() => ({
          cv_kind: 'cv',
          project_kind: 'project',
          job_id: null,
          upload_chars: '0',
        }));
        return Promise.resolve(rows);
      },
    };
    return db;
  }
  const run = async (jobDescription: string | null, n: number) => {
    const db = answeringDatabase();
    await Promise.all(
      Array.from({ length: n }, () =>
        insertJobIfUploadsMatch(db as unknown as Database, { ...job(), jobDescription }, 15_000, 1e9),
      ),
    );
    return db.statements;
  };

  it('small requests share one statement; requests carrying megabytes of overrides get their own', async () => {
    expect(await run(null, 20)).toBe(1);
    expect(await run('x'.repeat(5 * 1024 * 1024), 3)).toBe(3);
  });

  it('at most 500 requests a statement', async () => {
    expect(await run(null, 1200)).toBe(3);
  });
});
