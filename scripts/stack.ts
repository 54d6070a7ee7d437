// npm run stack:up [-- --brokers 1|3 --native|--docker] | stack:down | stack:status | stack:restart-broker -- <n> [--hard]
// | stack:reset (stops the stack and deletes its Kafka data)
import { parseArgs } from 'node:util';
import { redact, restartBroker, stackDown, stackReset, stackStatus, stackUp } from '../infra/native/stack.ts';

const [command, ...rest] = process.argv.slice(2);
const { values, positionals } = parseArgs({
  args: rest,
  allowPositionals: true,
  options: {
    brokers: { type: 'string', default: '1' },
    native: { type: 'boolean', default: false },
    docker: { type: 'boolean', default: false },
    hard: { type: 'boolean', default: false },
  },
});

try {
  switch (command) {
    case 'up': {
      const mode = values.native ? 'native' : values.docker ? 'docker' : undefined;
      const state = await stackUp({
        brokers: Number(values.brokers),
        mode,
        databaseUrl: process.env.DATABASE_URL || undefined,
      });
      process.stdout.write(
        `\nstack ready (${state.mode})\n  KAFKA_BROKERS=${state.kafkaBrokers.join(',')}\n  DATABASE_URL=${redact(state.databaseUrl)}\n` +
          (state.mode === 'docker' ? '  Redpanda Console: http://127.0.0.1:8090\n' : ''),
      );
      break;
    }
    case 'down':
      await stackDown();
      break;
    case 'reset':
      await stackReset();
      break;
    case 'status': {
      const lines = await stackStatus();
      if (lines.length === 0) {
        process.stdout.write('no stack running (npm run stack:up)\n');
        process.exitCode = 1;
      }
      for (const l of lines) {
        process.stdout.write(
          `${l.component.padEnd(22)} ${l.state.padEnd(5)} ${l.address}${l.pid ? `  pid ${l.pid}` : ''}${l.log ? `  log ${l.log}` : ''}\n`,
        );
      }
      if (lines.some((l) => l.state === 'down')) process.exitCode = 1;
      break;
    }
    case 'restart-broker': {
      const id = Number(positionals[0]);
      if (!Number.isInteger(id)) throw new Error('usage: stack:restart-broker -- <n> [--hard]');
      await restartBroker(id, values.hard);
      break;
    }
    default:
      process.stderr.write(
        'usage: stack.ts up [--brokers 1|3] [--native|--docker] | down | reset | status | restart-broker <n> [--hard]\n',
      );
      process.exitCode = 2;
  }
} catch (err) {
  process.stderr.write(`stack ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
