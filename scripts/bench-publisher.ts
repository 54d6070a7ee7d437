// npm run bench:publisher — the request publisher alone (lib/kafka/request-publisher.ts), no HTTP and no
// database: 64 callers publishing in a loop to one topic of 12 partitions, side by side in one run for
// one transactional id per slot (each transaction waits for the last one's commit and markers), two ids
// taken in turn (the default: the next transaction writes while the last one commits), and a plain
// idempotent producer (no transactions: the ceiling). Prints records/s, p50/p99 of a publish, and
// kafkajs' requests per transaction by API; the last line is one JSON object.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createKafka } from '../lib/kafka/client.ts';
import { RequestPublisher } from '../lib/kafka/request-publisher.ts';
import { createTopicsAndWait } from '../lib/kafka/topics.ts';
import { benchStack, progress } from './bench/stack.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    callers: { type: 'string', default: '64' },
    partitions: { type: 'string', default: '12' },
    rounds: { type: 'string', default: '2' },
  },
});
const stack = await benchStack();
const kafka = createKafka({ brokers: stack.brokers, clientId: 'bench-publisher' });
const topic = `bench-publisher-${randomUUID().slice(0, 8)}`;
const admin = kafka.admin();
await admin.connect();
await createTopicsAndWait(admin, [topic], { partitions: Number(values.partitions) });

type Kind = 'oneLane' | 'twoLanes' | 'idempotent';
interface Round {
  recordsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requestsPerTransaction?: Record<string, number>;
}

async function round(kind: Kind): Promise<Round> {
  const requests = new Map<string, number>();
  const counting = {
    producer: (config: Parameters<typeof kafka.producer>[0]) => {
      const producer = kafka.producer(config);
      producer.on(producer.events.REQUEST, (e) => {
        requests.set(e.payload.apiName, (requests.get(e.payload.apiName) ?? 0) + 1);
      });
      return producer;
    },
  } as typeof kafka;
  const publisher = new RequestPublisher({
    kafka: counting,
    app: 'bench-publisher',
    instanceId: `${kind}-${randomUUID().slice(0, 6)}`,
    lanes: kind === 'oneLane' ? 1 : 2,
    transactional: kind !== 'idempotent',
  });
  const publish = (key: string) => publisher.publish({ topic, key, value: 'x'.repeat(64) });
  for (let i = 0; i < 1000; i++) await publish(`warm-${i}`); // producers connected, JIT warm
  requests.clear();
  const transactionsBefore = publisher.stats.transactions;
  const latencies: number[] = [];
  const stopAt = performance.now() + Number(values.seconds) * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Number(values.callers) }, async (_, c) => {
      for (let i = 0; performance.now() < stopAt; i++) {
        const t = performance.now();
        await publish(`${c}-${i}`);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await publisher.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Number(latencies[Math.floor((latencies.length - 1) * q)]!.toFixed(1));
  const transactions = publisher.stats.transactions - transactionsBefore;
  return {
    recordsPerSec: Math.round(latencies.length / seconds),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    ...(transactions > 0 && {
      requestsPerTransaction: Object.fromEntries(
        [...requests].map(([api, n]) => [api, Number((n / transactions).toFixed(2))]),
      ),
    }),
  };
}

const kinds: Kind[] = ['oneLane', 'twoLanes', 'idempotent'];
const perRound: Record<Kind, Round[]> = { oneLane: [], twoLanes: [], idempotent: [] };
for (let r = 1; r <= Number(values.rounds); r++) {
  for (const kind of r % 2 ? kinds : [...kinds].reverse()) {
    const result = await round(kind);
    perRound[kind].push(result);
    progress(
      `${kind} round ${r}: ${result.recordsPerSec} records/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms` +
        (result.requestsPerTransaction
          ? `, requests per transaction ${JSON.stringify(result.requestsPerTransaction)}`
          : ''),
    );
  }
}
const best = (kind: Kind) => perRound[kind].reduce((a, b) => (b.recordsPerSec > a.recordsPerSec ? b : a));
await admin.deleteTopics({ topics: [topic] }).catch(() => {});
await admin.disconnect();
await stack.stop();
const summary = {
  benchmark: 'publisher',
  callers: Number(values.callers),
  partitions: Number(values.partitions),
  oneLane: best('oneLane'),
  twoLanes: best('twoLanes'),
  idempotent: best('idempotent'),
  twoLanesOverOneLane: Number((best('twoLanes').recordsPerSec / best('oneLane').recordsPerSec).toFixed(2)),
  perRound,
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
process.exit(0);
