// npm run bench:publisher — the request publisher alone (lib/kafka/request-publisher.ts), no HTTP and no
// database: 64 callers publishing in a loop to one topic of 12 partitions, side by side in one run for
// one transactional id per slot (each transaction waits for the last one's commit and markers), two ids
// taken in turn (the default: the next transaction writes while the last one commits), and a plain
// idempotent producer (no transactions: the ceiling). Prints records/s, p50/p99 of a publish, and
// kafkajs' requests per transaction by API; the last line is one JSON object. `--rate N` publishes N
// records/s instead (an open loop, as requests arrive at a service that is not saturated) and adds the CPU
// the broker and the publisher spend per record, and the records each transaction carries.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createKafka } from '../lib/kafka/client.ts';
import { RequestPublisher } from '../lib/kafka/request-publisher.ts';
import { createTopicsAndWait } from '../lib/kafka/topics.ts';
import { startCpuMeter } from './bench/cpu-meter.ts';
import { benchStack, progress } from './bench/stack.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    callers: { type: 'string', default: '64' },
    partitions: { type: 'string', default: '12' },
    rounds: { type: 'string', default: '2' },
    rate: { type: 'string' },
  },
});
const RATE = values.rate ? Number(values.rate) : 0;
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
  /** --rate only: records per transaction, and CPU ms per record of the broker and of this process */
  recordsPerTransaction?: number;
  cpuMsPerRecord?: { broker: number; publisher: number };
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
  const meter = startCpuMeter({ componentOf: () => undefined, reapedAs: 'children' });
  const timed = (key: string) => {
    const t = performance.now();
    return publish(key).then(() => {
      latencies.push(performance.now() - t);
    });
  };
  if (RATE) {
    // open loop: records due by now are published whatever is still in flight
    const inFlight: Promise<void>[] = [];
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const now = performance.now();
        const due = Math.floor(((Math.min(now, stopAt) - started) / 1000) * RATE);
        while (inFlight.length < due) inFlight.push(timed(`r-${inFlight.length}`));
        if (now >= stopAt) {
          clearInterval(tick);
          resolve();
        }
      }, 1);
    });
    await Promise.all(inFlight);
  } else {
    await Promise.all(
      Array.from({ length: Number(values.callers) }, async (_, c) => {
        for (let i = 0; performance.now() < stopAt; i++) await timed(`${c}-${i}`);
      }),
    );
  }
  const cpu = meter?.stop(latencies.length);
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
    ...(RATE && {
      ...(transactions > 0 && {
        recordsPerTransaction: Number((latencies.length / transactions).toFixed(1)),
      }),
      ...(cpu && { cpuMsPerRecord: { broker: cpu.msPerJob.kafka ?? 0, publisher: cpu.msPerJob.bench ?? 0 } }),
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
          : '') +
        (result.cpuMsPerRecord
          ? `, CPU per record: broker ${result.cpuMsPerRecord.broker} ms, publisher ${result.cpuMsPerRecord.publisher} ms` +
            (result.recordsPerTransaction ? `, ${result.recordsPerTransaction} records per transaction` : '')
          : ''),
    );
  }
}
// Closed loop: each kind's fastest round. Open loop (--rate): every round carries the same records, so
// the round with the median broker CPU stands for the kind.
const best = (kind: Kind) => {
  const rounds = perRound[kind];
  if (!RATE) return rounds.reduce((a, b) => (b.recordsPerSec > a.recordsPerSec ? b : a));
  const byCpu = [...rounds].sort((a, b) => (a.cpuMsPerRecord?.broker ?? 0) - (b.cpuMsPerRecord?.broker ?? 0));
  return byCpu[(byCpu.length - 1) >> 1]!;
};
await admin.deleteTopics({ topics: [topic] }).catch(() => {});
await admin.disconnect();
await stack.stop();
const summary = {
  benchmark: 'publisher',
  ...(RATE ? { rate: RATE } : { callers: Number(values.callers) }),
  partitions: Number(values.partitions),
  oneLane: best('oneLane'),
  twoLanes: best('twoLanes'),
  idempotent: best('idempotent'),
  twoLanesOverOneLane: Number((best('twoLanes').recordsPerSec / best('oneLane').recordsPerSec).toFixed(2)),
  perRound,
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
process.exit(0);
