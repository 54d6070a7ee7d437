// Seeds jobs straight into the database (client, two uploads, a job) for evaluator tests.
import { createHash, randomUUID } from 'node:crypto';
import { createClient } from '../../lib/db/api-clients.ts';
import type { Database } from '../../lib/db/database.ts';
import { createOrGetJob, markPublished } from '../../lib/db/jobs.ts';
import { insertUploads } from '../../lib/db/uploads.ts';

export async function seedClient(db: Database): Promise<string> {
  const { id } = await createClient(db, `seed-${randomUUID().slice(0, 8)}`);
  return id;
}

export async function seedJob(
  db: Database,
  clientId: string,
  cvText: string,
  projectText = 'A project report with retries and a README.',
) {
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
  const { job } = await createOrGetJob(
    db,
    {
      clientId,
      idempotencyKey: randomUUID(),
      requestFingerprint: 'seed',
      cvId: rows.find((r) => r.kind === 'cv')!.id,
      projectId: rows.find((r) => r.kind === 'project')!.id,
      jobDescription: null,
      studyCaseBrief: null,
      scoringRubric: null,
    },
    0,
  );
  await markPublished(db, [job.id]);
  return job.id;
}
