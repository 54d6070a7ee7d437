// npm run db:migrate — applies the committed migrations to DATABASE_URL.
import { loadConfigOrExit } from '../lib/config.ts';
import { migrateDatabase } from '../lib/db/migrate.ts';

const config = loadConfigOrExit();
const where = new URL(config.database.url);
where.password = '';
process.stdout.write(`migrating ${where.host}${where.pathname} …\n`);
await migrateDatabase(config.database.url);
process.stdout.write('migrations applied\n');
