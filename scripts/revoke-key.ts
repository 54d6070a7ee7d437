// npm run client:revoke -- <key-id>            revokes one key
// npm run client:revoke -- --client <client-id> revokes every key of a client
// A revoked key stops working within API_KEY_CACHE_TTL_MS (default 30 s) on every submit instance.
import { loadConfigOrExit } from '../lib/config.ts';
import { revokeKeys } from '../lib/db/api-clients.ts';
import { closeDatabase, createDatabase } from '../lib/db/database.ts';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const [first, second] = process.argv.slice(2);
const which =
  first === '--client' && second && uuid.test(second)
    ? { clientId: second }
    : first && uuid.test(first)
      ? { keyId: first }
      : undefined;
if (!which) {
  process.stderr.write(
    'usage: npm run client:revoke -- <key-id>  |  npm run client:revoke -- --client <client-id>\n',
  );
  process.exit(2);
}
const config = loadConfigOrExit();
const db = createDatabase(config.database.url, { poolSize: 1 });
const revoked = await revokeKeys(db, which);
await closeDatabase(db);
if (revoked.length === 0) {
  process.stderr.write('no live key matched: nothing revoked\n');
  process.exit(1);
}
process.stderr.write(
  `revoked ${revoked.length} key(s): ${revoked.join(', ')}; they stop working within ${config.submit.apiKeyCacheTtlMs} ms\n`,
);
