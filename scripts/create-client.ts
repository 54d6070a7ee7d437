// npm run client:create -- <name> — creates an API client and prints its key once (only a hash is kept).
import { loadConfigOrExit } from '../lib/config.ts';
import { createClient } from '../lib/db/api-clients.ts';
import { closeDatabase, createDatabase } from '../lib/db/database.ts';

const name = process.argv[2];
if (!name) {
  process.stderr.write('usage: npm run client:create -- <name>\n');
  process.exit(2);
}
const config = loadConfigOrExit();
const db = createDatabase(config.database.url, { poolSize: 1 });
const client = await createClient(db, name);
await closeDatabase(db);
process.stderr.write(
  `client "${client.name}" created (id ${client.id}, key id ${client.keyId}); its API key, shown once:\n`,
);
process.stdout.write(`${client.apiKey}\n`);
