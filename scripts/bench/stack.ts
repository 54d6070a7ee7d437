// Benchmarks run against KAFKA_BROKERS when given, else the running native stack, else one they start.
import { isAlive } from '../../infra/native/kafka.ts';
import { readState, stackDown, stackUp } from '../../infra/native/stack.ts';

export async function benchStack(): Promise<{
  brokers: string[];
  databaseUrl: string;
  stop: () => Promise<void>;
}> {
  if (process.env.KAFKA_BROKERS) {
    return {
      brokers: process.env.KAFKA_BROKERS.split(','),
      databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/cv_evaluator',
      stop: async () => {},
    };
  }
  const running = readState();
  if (running && (running.mode === 'docker' || running.brokers.every((b) => isAlive(b.pid)))) {
    return { brokers: running.kafkaBrokers, databaseUrl: running.databaseUrl, stop: async () => {} };
  }
  const state = await stackUp({});
  return { brokers: state.kafkaBrokers, databaseUrl: state.databaseUrl, stop: () => stackDown() };
}

export const progress = (m: string) => process.stderr.write(`• ${m}\n`);
