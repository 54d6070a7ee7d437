// npm run bench:engine — throughput of the consume-transform-produce session: 12 partitions, 100,000
// records of 1 KB, no-op transform, one session; exactly-once and at-least-once on the same code path
// in the same run (and Apache Kafka's own Java TransactionalMessageCopier over the same input), plus
// the cold start of a session in a fresh process. The last line is one JSON object with the figures.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { libsDir } from '../infra/native/kafka.ts';
import { createKafka } from '../lib/kafka/client.ts';
import { runSession } from '../lib/kafka/session.ts';
import { createTopicsAndWait } from '../lib/kafka/topics.ts';
import type { DeliveryMode } from '../lib/kafka/types.ts';
import { benchStack, progress } from './bench/stack.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    partitions: { type: 'string', default: '12' },
    size: { type: 'string', default: '1024' },
    rounds: { type: 'string', default: '2' },
    java: { type: 'boolean', default: true },
  },
});
const RECORDS = Number(values.records);
const PARTITIONS = Number(values.partitions);
const SIZE = Number(values.size);
const ROUNDS = Number(values.rounds);

const stack = await benchStack();
const kafka = createKafka({ brokers: stack.brokers, clientId: 'bench-engine' });
const run = `bench-${randomBytes(3).toString('hex')}`;
const input = `${run}-in`;
const admin = kafka.admin();
await admin.connect();
await createTopicsAndWait(admin, [input], { partitions: PARTITIONS });

progress(`producing ${RECORDS} records of ${SIZE} B into ${input} (${PARTITIONS} partitions)`);
{
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const value = Buffer.alloc(SIZE, 'x');
  for (let i = 0; i < RECORDS; i += 5000) {
    const messages = Array.from({ length: Math.min(5000, RECORDS - i) }, (_, j) => ({
      key: `k${i + j}`,
      value,
    }));
    await producer.send({ topic: input, messages, acks: -1 });
  }
  await producer.disconnect();
}

async function engineRun(
  mode: DeliveryMode,
  round: number,
): Promise<{ recordsPerSec: number; transactions: number }> {
  const output = `${run}-out-${mode}-${round}`;
  await createTopicsAndWait(admin, [output], { partitions: PARTITIONS });
  const positions = new Map<number, number>();
  let doneAt = 0;
  const started = performance.now();
  const report = await runSession({
    kafka,
    app: 'bench',
    groupId: `${run}-${mode}-${round}`,
    topic: input,
    dlqTopic: `${run}-dlq`,
    mode,
    maxIdleMs: 1000,
    maxDurationMs: 600_000,
    sessionTimeoutMs: 10_000,
    // no-op transform: each record forwarded as is
    handler: async ({ records }) => ({
      outputs: records.map((r) => ({ topic: output, key: r.key, value: r.value })),
    }),
    hooks: {
      afterCommit: ({ partition, nextOffset }) => {
        positions.set(partition, Number(nextOffset));
        let sum = 0;
        for (const v of positions.values()) sum += v;
        if (sum >= RECORDS && !doneAt) doneAt = performance.now();
      },
    },
  });
  if (report.records !== RECORDS) throw new Error(`${mode}: handled ${report.records} of ${RECORDS}`);
  const seconds = (doneAt - started) / 1000;
  const recordsPerSec = Math.round(RECORDS / seconds);
  progress(
    `${mode} round ${round}: ${recordsPerSec} records/s (${report.commits} commits, ${seconds.toFixed(2)} s incl. group join)`,
  );
  return { recordsPerSec, transactions: report.commits };
}

const eos: number[] = [];
const alo: number[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  // Alternate the order so neither mode always runs on a warmer JIT / page cache.
  if (round % 2) {
    eos.push((await engineRun('exactly-once', round)).recordsPerSec);
    alo.push((await engineRun('at-least-once', round)).recordsPerSec);
  } else {
    alo.push((await engineRun('at-least-once', round)).recordsPerSec);
    eos.push((await engineRun('exactly-once', round)).recordsPerSec);
  }
}

progress('cold start: a fresh process until its first committed transaction');
const coldStarts: number[] = [];
for (let i = 0; i < 3; i++) {
  const out = `${run}-cold-${i}`;
  await createTopicsAndWait(admin, [out], { partitions: 1 });
  const child = spawnSync(
    process.execPath,
    [
      new URL('./bench/cold-start.ts', import.meta.url).pathname,
      stack.brokers.join(','),
      input,
      `${run}-cold-${i}`,
      out,
    ],
    { encoding: 'utf8' },
  );
  const line = child.stdout.trim().split('\n').pop() ?? '{}';
  coldStarts.push(Math.round(JSON.parse(line).firstCommitMs));
}

let java: { recordsPerSec: number; seconds: number } | null = null;
if (values.java) {
  progress('Apache Kafka TransactionalMessageCopier (Java) over the same input');
  const output = `${run}-out-java`;
  await createTopicsAndWait(admin, [output], { partitions: PARTITIONS });
  const started = performance.now();
  const copied = await new Promise<number>((resolve, reject) => {
    const p = spawn(
      'java',
      [
        '-Xmx512m',
        '-cp',
        `${libsDir}/*`,
        'org.apache.kafka.tools.TransactionalMessageCopier',
        '--broker-list',
        stack.brokers.join(','),
        '--input-topic',
        input,
        '--input-partition',
        '0',
        '--output-topic',
        output,
        '--transactional-id',
        `${run}-java`,
        '--consumer-group',
        `${run}-java`,
        '--transaction-size',
        '1000',
        '--group-mode',
        '--use-group-metadata',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let consumed = 0;
    let buf = '';
    p.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
      for (const m of buf.matchAll(/"consumed"\s*:\s*(\d+)/g)) consumed = Math.max(consumed, Number(m[1]));
      buf = buf.slice(-500);
    });
    p.on('exit', (code) => (code === 0 ? resolve(consumed) : reject(new Error(`copier exit ${code}`))));
  }).catch((err) => {
    progress(`copier failed: ${err.message}`);
    return 0;
  });
  const seconds = (performance.now() - started) / 1000;
  if (copied > 0) {
    java = { recordsPerSec: Math.round(RECORDS / seconds), seconds: Number(seconds.toFixed(2)) };
    progress(
      `java copier: ${java.recordsPerSec} records/s (${seconds.toFixed(2)} s incl. JVM start; consumed ${copied})`,
    );
  }
}

await admin
  .deleteTopics({ topics: (await admin.listTopics()).filter((t) => t.startsWith(run)) })
  .catch(() => {});
await admin.disconnect();
await stack.stop();

const best = (xs: number[]) => Math.max(...xs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const figures = {
  benchmark: 'engine',
  records: RECORDS,
  partitions: PARTITIONS,
  recordBytes: SIZE,
  exactlyOnceRecordsPerSec: best(eos),
  atLeastOnceRecordsPerSec: best(alo),
  ratio: Number((best(eos) / best(alo)).toFixed(3)),
  perRound: { exactlyOnce: eos, atLeastOnce: alo },
  coldStartMs: median(coldStarts),
  coldStartsMs: coldStarts,
  javaCopierRecordsPerSec: java?.recordsPerSec ?? null,
  goals: { exactlyOnceRecordsPerSec: 20000, ratio: 0.85, coldStartMs: 2000 },
};
process.stdout.write(
  `\nexactly-once ${figures.exactlyOnceRecordsPerSec} rec/s · at-least-once ${figures.atLeastOnceRecordsPerSec} rec/s · ratio ${figures.ratio} · cold start ${figures.coldStartMs} ms · java copier ${figures.javaCopierRecordsPerSec ?? 'n/a'} rec/s\n`,
);
process.stdout.write(`${JSON.stringify(figures)}\n`);
process.exit(0);
