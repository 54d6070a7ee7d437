// Child of bench-engine: measures process start → first committed transaction of a session.
import { createKafka } from '../../lib/kafka/client.ts';
import { runSession } from '../../lib/kafka/session.ts';

const [brokers, topic, group, out] = process.argv.slice(2) as [string, string, string, string];
let firstCommitMs = -1;
await runSession({
  kafka: createKafka({ brokers: brokers.split(','), clientId: 'cold-start' }),
  app: 'bench',
  groupId: group,
  topic,
  dlqTopic: `${out}-dlq`,
  maxRecords: 1,
  maxIdleMs: 5000,
  sessionTimeoutMs: 6000,
  handler: async ({ records }) => ({
    outputs: records.slice(0, 1).map((r) => ({ topic: out, key: r.key, value: r.value })),
  }),
  hooks: {
    afterCommit: () => {
      // performance.now() counts from process start (timeOrigin), so this includes Node start-up and imports.
      if (firstCommitMs < 0) firstCommitMs = performance.now();
    },
  },
});
process.stdout.write(`${JSON.stringify({ firstCommitMs })}\n`);
process.exit(0);
