// npm start — brings up the whole system locally: the stack (docker compose when a Docker engine answers,
// otherwise native Apache Kafka + PostgreSQL), migrations, then the functions in the foreground.
// Ctrl-C stops the functions; `npm run stack:down` stops the stack.
import { parseArgs } from 'node:util';
import { redact, stackUp } from '../infra/native/stack.ts';

const { values } = parseArgs({ options: { brokers: { type: 'string', default: '1' } } });
const state = await stackUp({
  brokers: Number(values.brokers),
  databaseUrl: process.env.DATABASE_URL || undefined,
});
process.stdout.write(
  `\nlocal stack up (${state.mode})\n  KAFKA_BROKERS=${state.kafkaBrokers.join(',')}\n  DATABASE_URL=${redact(state.databaseUrl)}\n` +
    '  stop it with: npm run stack:down\n',
);
