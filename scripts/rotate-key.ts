// npm run client:rotate -- <client-id> [grace-hours]
// Issues a new key (printed once) and lets the client's current key expire after the grace period
// (default 24 h), so callers can switch without downtime. A client holds at most two live keys.
import { loadConfigOrExit } from '../lib/config.ts';
import { rotateKey } from '../lib/db/api-clients.ts';
import { closeDatabase, createDatabase } from '../lib/db/database.ts';

const [clientId, hours = '24'] = process.argv.slice(2);
const grace = Number(hours);
if (!clientId || !/^[0-9a-f-]{36}$/i.test(clientId) || !Number.isFinite(grace) || grace < 0) {
  process.stderr.write('usage: npm run client:rotate -- <client-id> [grace-hours, default 24]\n');
  process.exit(2);
}
const config = loadConfigOrExit();
const db = createDatabase(config.database.url, { poolSize: 1 });
try {
  const r = await rotateKey(db, clientId, grace * 3600_000);
  process.stderr.write(
    `new key ${r.keyId} for client ${clientId}; the previous key works until ${r.oldKeysExpireAt.toISOString()}. The new key, shown once:\n`,
  );
  process.stdout.write(`${r.apiKey}\n`);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await closeDatabase(db);
}
