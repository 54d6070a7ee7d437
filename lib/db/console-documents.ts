// The documents behind a job, for the console's evidence view: scoped to the client like every read.
import { and, eq, inArray } from 'drizzle-orm';
import type { Database } from './database.ts';
import { uploads } from './schema.ts';

export async function clientDocuments(db: Database, clientId: string, ids: string[]) {
  if (ids.length === 0) return [];
  return db
    .select({ id: uploads.id, kind: uploads.kind, filename: uploads.filename, text: uploads.extractedText })
    .from(uploads)
    .where(and(eq(uploads.clientId, clientId), inArray(uploads.id, ids)));
}
