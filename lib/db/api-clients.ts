// API clients and their keys. A key is shown once, at creation; only its sha256 is stored. A client may
// hold several keys (rotation: create the new one, switch, revoke or let the old one expire); a key
// works until it is revoked or expires.
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Database } from './database.ts';
import { apiKeys, clients } from './schema.ts';

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** Keys this service makes: "cve_" and 43 base64url characters (256 random bits). */
export const API_KEY_PATTERN = /^cve_[A-Za-z0-9_-]{43}$/;

const newKey = () => `cve_${randomBytes(32).toString('base64url')}`;

/** How many keys a client may hold live at once: the current one and the one it replaces. */
export const MAX_LIVE_KEYS = 2;

export async function createClient(
  db: Database,
  name: string,
): Promise<{ id: string; name: string; apiKey: string; keyId: string }> {
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(clients).values({ name }).returning();
    const apiKey = newKey();
    const [key] = await tx
      .insert(apiKeys)
      .values({ clientId: row!.id, keyHash: hashApiKey(apiKey) })
      .returning({ id: apiKeys.id });
    return { id: row!.id, name: row!.name, apiKey, keyId: key!.id };
  });
}

const live = () =>
  and(isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, sql`now()`)));

export interface KeyOwner {
  id: string;
  name: string;
  keyId: string;
  /** when the key stops working by itself, if it does */
  expiresAt: Date | null;
}

/** The client owning a live key with this hash. */
export async function findClientByKeyHash(db: Database, keyHash: string): Promise<KeyOwner | undefined> {
  const [row] = await db
    .select({ id: clients.id, name: clients.name, keyId: apiKeys.id, expiresAt: apiKeys.expiresAt })
    .from(apiKeys)
    .innerJoin(clients, eq(clients.id, apiKeys.clientId))
    .where(and(eq(apiKeys.keyHash, keyHash), live()));
  return row;
}

export async function findClientByKey(db: Database, apiKey: string): Promise<KeyOwner | undefined> {
  return findClientByKeyHash(db, hashApiKey(apiKey));
}

/**
 * Rotation: a new key for the client; its other live keys expire after `graceMs` (unless they expire
 * sooner), so callers have time to switch. Refused when the client already holds MAX_LIVE_KEYS live keys.
 */
export async function rotateKey(
  db: Database,
  clientId: string,
  graceMs: number,
): Promise<{ apiKey: string; keyId: string; oldKeysExpireAt: Date }> {
  return db.transaction(async (tx) => {
    // Serialise rotations of one client.
    const [client] = await tx.select().from(clients).where(eq(clients.id, clientId)).for('update');
    if (!client) throw new Error(`no client ${clientId}`);
    const current = await tx
      .select({ id: apiKeys.id })
      .from(apiKeys)
      .where(and(eq(apiKeys.clientId, clientId), live()));
    if (current.length >= MAX_LIVE_KEYS) {
      throw new Error(
        `client ${clientId} already holds ${current.length} live keys; revoke one first (npm run client:revoke)`,
      );
    }
    const expireAt = new Date(Date.now() + graceMs);
    await tx
      .update(apiKeys)
      .set({
        expiresAt: sql`least(coalesce(${apiKeys.expiresAt}, ${expireAt.toISOString()}::timestamptz), ${expireAt.toISOString()}::timestamptz)`,
      })
      .where(and(eq(apiKeys.clientId, clientId), live()));
    const apiKey = newKey();
    const [key] = await tx
      .insert(apiKeys)
      .values({ clientId, keyHash: hashApiKey(apiKey) })
      .returning({ id: apiKeys.id });
    return { apiKey, keyId: key!.id, oldKeysExpireAt: expireAt };
  });
}

/** Revokes one key (by its id) or every key of a client; returns the ids revoked. */
export async function revokeKeys(
  db: Database,
  which: { keyId: string } | { clientId: string },
): Promise<string[]> {
  const rows = await db
    .update(apiKeys)
    .set({ revokedAt: sql`now()` })
    .where(
      and(
        'keyId' in which ? eq(apiKeys.id, which.keyId) : eq(apiKeys.clientId, which.clientId),
        isNull(apiKeys.revokedAt),
      ),
    )
    .returning({ id: apiKeys.id });
  return rows.map((r) => r.id);
}

export async function listKeys(db: Database, clientId: string) {
  return db
    .select({
      id: apiKeys.id,
      createdAt: apiKeys.createdAt,
      expiresAt: apiKeys.expiresAt,
      revokedAt: apiKeys.revokedAt,
    })
    .from(apiKeys)
    .where(eq(apiKeys.clientId, clientId))
    .orderBy(apiKeys.createdAt);
}
