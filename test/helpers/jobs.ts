// Seeds jobs straight into the database (client, two uploads, a job) for evaluator tests.
import { createHash, randomUUID } from 'node:crypto';
import { createClient } from '../../lib/db/api-clients.ts';
import { closeDatabase, createDatabase, type Database } from '../../lib/db/database.ts';
import { createOrGetJob, markPublished } from '../../lib/db/jobs.ts';
import { insertUploads } from '../../lib/db/uploads.ts';

export async function seedClient(db: Database): Promise<string> {
  const { id } = await createClient(db, `seed-${randomUUID().slice(0, 8)}`);
  return id;
}

/** A CV and a project report of `clientId`, stored as extracted text. */
export async function seedUploads(db: Database, clientId: string, cvText: string, projectText: string) {
  const rows = await insertUploads(
    db,
    (['cv', 'project'] as const).map((kind) => {
      const text = kind === 'cv' ? cvText : projectText;
      return {
        clientId,
        kind,
        filename: `${kind}.txt`,
        mediaType: 'text/plain',
        sizeBytes: text.length,
        sha256: createHash('sha256').update(text).digest('hex'),
        extractedText: text,
      };
    }),
  );
  return {
    cvId: rows.find((r) => r.kind === 'cv')!.id,
    projectId: rows.find((r) => r.kind === 'project')!.id,
  };
}

/** A new API client (its key) with a CV and a report, through a pool of its own: for tests of a child process. */
export async function seedClientWithUploads(databaseUrl: string, name: string) {
  const db = createDatabase(databaseUrl, { poolSize: 1 });
  try {
    const { id, apiKey } = await createClient(db, name);
    return { apiKey, ...(await seedUploads(db, id, 'cv', 'project')) };
  } finally {
    await closeDatabase(db);
  }
}

export async function seedJob(
  db: Database,
  clientId: string,
  cvText: string,
  projectText = 'A project report with retries and a README.',
) {
  const rows = await seedUploads(db, clientId, cvText, projectText);
  const { job } = await createOrGetJob(
    db,
    {
      clientId,
      idempotencyKey: randomUUID(),
      requestFingerprint: 'seed',
      cvId: rows.cvId,
      projectId: rows.projectId,
      jobDescription: null,
      studyCaseBrief: null,
      scoringRubric: null,
    },
    0,
  );
  await markPublished(db, [job.id]);
  return job.id;
}
