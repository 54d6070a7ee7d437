// The documents behind a job, for the console's evidence view and its erasure preview: scoped to the
// client like every read.
import { and, eq, inArray, notInArray, or } from 'drizzle-orm';
import type { Database } from './database.ts';
import { jobs, uploads } from './schema.ts';

export async function clientDocuments(db: Database, clientId: string, ids: string[]) {
  if (ids.length === 0) return [];
  return db
    .select({ id: uploads.id, kind: uploads.kind, filename: uploads.filename, text: uploads.extractedText })
    .from(uploads)
    .where(and(eq(uploads.clientId, clientId), inArray(uploads.id, ids)));
}

export interface ErasurePreview {
  jobs: { id: string; status: string; createdAt: Date }[];
  uploads: { id: string; kind: string; filename: string }[];
}

/**
 * What erasing these uploads (lib/db/erasure.ts, eraseUploads) would take with them, read without
 * locking, for the confirmation page: every job that used one of them, and the documents no other job
 * still uses — the uploads themselves and the other document of each of those jobs.
 */
export async function erasurePreview(
  db: Database,
  clientId: string,
  uploadIds: string[],
): Promise<ErasurePreview> {
  if (uploadIds.length === 0) return { jobs: [], uploads: [] };
  const affected = await db
    .select({
      id: jobs.id,
      status: jobs.status,
      createdAt: jobs.createdAt,
      cvId: jobs.cvId,
      projectId: jobs.projectId,
    })
    .from(jobs)
    .where(
      and(eq(jobs.clientId, clientId), or(inArray(jobs.cvId, uploadIds), inArray(jobs.projectId, uploadIds))),
    )
    .orderBy(jobs.createdAt);
  const candidates = [...new Set([...uploadIds, ...affected.flatMap((j) => [j.cvId, j.projectId])])];
  const ids = affected.map((j) => j.id);
  const others = await db
    .select({ cvId: jobs.cvId, projectId: jobs.projectId })
    .from(jobs)
    .where(
      and(
        or(inArray(jobs.cvId, candidates), inArray(jobs.projectId, candidates)),
        ids.length ? notInArray(jobs.id, ids) : undefined,
      ),
    );
  const kept = new Set(others.flatMap((j) => [j.cvId, j.projectId]));
  const gone = candidates.filter((id) => !kept.has(id));
  const docs = gone.length
    ? await db
        .select({ id: uploads.id, kind: uploads.kind, filename: uploads.filename })
        .from(uploads)
        .where(and(eq(uploads.clientId, clientId), inArray(uploads.id, gone)))
        .orderBy(uploads.kind, uploads.createdAt)
    : [];
  return { jobs: affected.map(({ id, status, createdAt }) => ({ id, status, createdAt })), uploads: docs };
}
