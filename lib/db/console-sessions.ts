// Web console sessions. The cookie carries a 256-bit random token; the table keeps its sha256, the client
// and the hash of the API key that signed in. A session is valid only while that key still is the
// client's key (rotation or revocation ends it) and until it expires. Sign-out deletes the row, so a
// copied cookie stops working at once — which a self-contained signed cookie could not do.
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from './database.ts';
import { apiKeys, clients, consoleSessions } from './schema.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export interface ConsoleSession {
  clientId: string;
  clientName: string;
  csrfToken: string;
}

export async function openConsoleSession(
  db: Database,
  o: { clientId: string; apiKeyHash: string; ttlMs: number },
): Promise<{ token: string; csrfToken: string }> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  // Expired rows are removed here rather than by a job: sign-ins are rare and this keeps the table small.
  await db.delete(consoleSessions).where(lt(consoleSessions.expiresAt, sql`now()`));
  await db.insert(consoleSessions).values({
    tokenHash: sha256(token),
    clientId: o.clientId,
    apiKeyHash: o.apiKeyHash,
    csrfToken,
    expiresAt: sql`now() + ${`${o.ttlMs} milliseconds`}::interval`,
  });
  return { token, csrfToken };
}

export async function findConsoleSession(db: Database, token: string): Promise<ConsoleSession | undefined> {
  const [row] = await db
    .select({ clientId: clients.id, clientName: clients.name, csrfToken: consoleSessions.csrfToken })
    .from(consoleSessions)
    .innerJoin(clients, eq(clients.id, consoleSessions.clientId))
    // Issue 13: keys live in api_keys; the session holds while its key is live (not revoked, not expired).
    .innerJoin(
      apiKeys,
      and(
        eq(apiKeys.clientId, consoleSessions.clientId),
        eq(apiKeys.keyHash, consoleSessions.apiKeyHash),
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, sql`now()`)),
      ),
    )
    .where(and(eq(consoleSessions.tokenHash, sha256(token)), gt(consoleSessions.expiresAt, sql`now()`)));
  return row;
}

export async function closeConsoleSession(db: Database, token: string): Promise<void> {
  await db.delete(consoleSessions).where(eq(consoleSessions.tokenHash, sha256(token)));
}
