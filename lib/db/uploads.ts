import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from './database.ts';
import { type UploadKind, uploads } from './schema.ts';
import { traced } from './trace.ts';

export interface NewUpload {
  /** set by callers that must tell the returned rows apart (bulk upload) */
  id?: string;
  clientId: string;
  kind: UploadKind;
  filename: string;
  mediaType: string;
  sizeBytes: number;
  sha256: string;
  extractedText: string;
}

async function insertUploadsUntraced(db: Database, rows: NewUpload[]) {
  return db.insert(uploads).values(rows).returning({
    id: uploads.id,
    kind: uploads.kind,
    filename: uploads.filename,
    mediaType: uploads.mediaType,
    sizeBytes: uploads.sizeBytes,
    sha256: uploads.sha256,
    createdAt: uploads.createdAt,
  });
}

/** The caller's uploads among `ids`; another client's uploads are simply not found. */
async function findClientUploadsUntraced(db: Database, clientId: string, ids: string[]) {
  if (ids.length === 0) return [];
  return db
    .select({ id: uploads.id, kind: uploads.kind, chars: sql<number>`length(${uploads.extractedText})` })
    .from(uploads)
    .where(and(eq(uploads.clientId, clientId), inArray(uploads.id, ids)));
}

export const insertUploads = traced('insertUploads', insertUploadsUntraced);

export const findClientUploads = traced('findClientUploads', findClientUploadsUntraced);
