// Child of bench-engine's recovery measurement: a session that works slowly (so a transaction is open
// most of the time) and prints the wall-clock time of its first commit. The parent SIGKILLs one such
// child mid-stream, starts another on the same group and measures kill → the new child's first commit.
import { createKafka } from '../../lib/kafka/client.ts';
import { runSession } from '../../lib/kafka/session.ts';

const [brokers, topic, group, out, sessionTimeout] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
let announced = false;
await runSession({
  kafka: createKafka({ brokers: brokers.split(','), clientId: 'recovery' }),
  app: 'bench',
  groupId: group,
  topic,
  dlqTopic: `${out}-dlq`,
  maxIdleMs: 30_000,
  maxDurationMs: 60_000,
  sessionTimeoutMs: Number(sessionTimeout),
  maxBatchRecords: 50,
  handler: async ({ records }) => {
    // slow on purpose: most of the time a transaction is open when the parent's SIGKILL lands
    await new Promise((r) => setTimeout(r, 20));
    return { outputs: records.map((r) => ({ topic: out, key: r.key, value: r.value })) };
  },
  hooks: {
    afterCommit: () => {
      if (announced) return;
      announced = true;
      process.stdout.write(`${JSON.stringify({ firstCommitAt: Date.now() })}\n`);
    },
  },
});
process.exit(0);
