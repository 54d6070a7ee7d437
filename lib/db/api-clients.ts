// API clients. A key is shown once, at creation; only its sha256 is stored.
import { createHash, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Database } from './database.ts';
import { clients } from './schema.ts';

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

export async function createClient(
  db: Database,
  name: string,
): Promise<{ id: string; name: string; apiKey: string }> {
  const apiKey = `cve_${randomBytes(32).toString('base64url')}`;
  const [row] = await db
    .insert(clients)
    .values({ name, apiKeyHash: hashApiKey(apiKey) })
    .returning();
  return { id: row!.id, name: row!.name, apiKey };
}

export async function findClientByKey(
  db: Database,
  apiKey: string,
): Promise<{ id: string; name: string } | undefined> {
  const [row] = await db
    .select({ id: clients.id, name: clients.name })
    .from(clients)
    .where(eq(clients.apiKeyHash, hashApiKey(apiKey)));
  return row;
}
