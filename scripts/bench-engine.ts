// npm run bench:engine — throughput of the consume-transform-produce session: 12 partitions, 100,000
// records of 1 KB, no-op transform, one session; exactly-once and at-least-once on the same code path
// in the same run, Apache Kafka's own transactional ProducerPerformance from the broker's jars as the
// ceiling (the engine's fraction of it), the cold start of a session in a fresh process, and recovery
// after a SIGKILL. The last line is one JSON object with the figures.
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
  allowNegative: true,
  options: {
    records: { type: 'string', default: '100000' },
    partitions: { type: 'string', default: '12' },
    size: { type: 'string', default: '1024' },
    rounds: { type: 'string', default: '2' },
    java: { type: 'boolean', default: true },
    'recovery-rounds': { type: 'string', default: '1' },
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
  // Throughput counts from the first batch handed over, like ProducerPerformance counts from its first
  // send: group join and producer set-up are start-up, measured separately (cold start).
  let firstBatchAt = 0;
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
    handler: async ({ records }) => {
      firstBatchAt ||= performance.now();
      return { outputs: records.map((r) => ({ topic: output, key: r.key, value: r.value })) };
    },
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
  const seconds = (doneAt - firstBatchAt) / 1000;
  const recordsPerSec = Math.round(RECORDS / seconds);
  progress(
    `${mode} round ${round}: ${recordsPerSec} records/s (${report.commits} commits, ${seconds.toFixed(2)} s; join took ${((firstBatchAt - started) / 1000).toFixed(2)} s)`,
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

// Recovery after a kill: a session is SIGKILLed mid-stream (a transaction open, its member still in the
// group); a new invocation must wait for the coordinator to expire the dead member (session timeout),
// rebalance, fence the dead producer's transactional id (InitProducerId aborts its open transaction)
// and then commits. Bound: session timeout + 2 s.
const RECOVERY_SESSION_MS = 6000;
async function recoveryRun(i: number): Promise<number | null> {
  const group = `${run}-recovery-${i}`;
  const out = `${run}-recovery-out-${i}`;
  await createTopicsAndWait(admin, [out], { partitions: PARTITIONS });
  const script = new URL('./bench/recovery-child.ts', import.meta.url).pathname;
  const start = () => {
    const child = spawn(
      process.execPath,
      [script, stack.brokers.join(','), input, group, out, String(RECOVERY_SESSION_MS)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const firstCommitAt = new Promise<number>((resolve, reject) => {
      let buf = '';
      child.stdout!.on('data', (c: Buffer) => {
        buf += c.toString();
        const m = /"firstCommitAt":(\d+)/.exec(buf);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', () => reject(new Error('recovery child exited before its first commit')));
    });
    return { child, firstCommitAt };
  };
  const victim = start();
  await victim.firstCommitAt;
  // let it run into the middle of the stream, then kill it without any chance to leave the group
  await new Promise((r) => setTimeout(r, 1500));
  victim.child.kill('SIGKILL');
  const killedAt = Date.now();
  const successor = start();
  try {
    const at = await successor.firstCommitAt;
    return at - killedAt;
  } catch {
    return null;
  } finally {
    successor.child.kill('SIGTERM');
    await new Promise((r) => successor.child.once('exit', r));
  }
}
progress(
  `recovery: SIGKILL a session mid-stream, time until a new one commits (session timeout ${RECOVERY_SESSION_MS} ms)`,
);
const recoveries: number[] = [];
for (let i = 0; i < Number(values['recovery-rounds']); i++) {
  const ms = await recoveryRun(i);
  if (ms !== null) recoveries.push(ms);
  progress(`recovery ${i + 1}: ${ms ?? 'failed'} ms`);
}

// The ceiling: Apache Kafka's own Java producer with a transactional id (100 ms transactions), same
// record size and partitions, from the same jars as the broker. Produce only: the engine also consumes.
let producerPerf: { recordsPerSec: number } | null = null;
if (values.java) {
  progress('Apache Kafka ProducerPerformance (Java, transactional, 100 ms transactions)');
  const topic = `${run}-pp`;
  await createTopicsAndWait(admin, [topic], { partitions: PARTITIONS });
  const recordsPerSec = await new Promise<number>((resolve, reject) => {
    const p = spawn(
      'java',
      [
        '-Xmx512m',
        '-cp',
        `${libsDir}/*`,
        'org.apache.kafka.tools.ProducerPerformance',
        '--topic',
        topic,
        '--num-records',
        String(RECORDS),
        '--record-size',
        String(SIZE),
        '--throughput',
        '-1',
        '--transactional-id',
        `${run}-pp`,
        '--transaction-duration-ms',
        '100',
        '--producer-props',
        `bootstrap.servers=${stack.brokers.join(',')}`,
        'acks=all',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let buf = '';
    p.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
    });
    p.on('error', reject);
    p.on('exit', (code) => {
      // the summary line: "N records sent, X records/sec (…), …"
      const m = /records sent, ([\d.]+) records\/sec/.exec(buf);
      if (code === 0 && m) resolve(Math.round(Number(m[1])));
      else reject(new Error(`ProducerPerformance exit ${code}`));
    });
  }).catch((err: Error) => {
    progress(`ProducerPerformance failed: ${err.message}`);
    return 0;
  });
  if (recordsPerSec > 0) {
    producerPerf = { recordsPerSec };
    progress(`ProducerPerformance: ${recordsPerSec} records/s`);
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
  producerPerformanceRecordsPerSec: producerPerf?.recordsPerSec ?? null,
  fractionOfProducerPerformance: producerPerf
    ? Number((best(eos) / producerPerf.recordsPerSec).toFixed(3))
    : null,
  coldStartMs: median(coldStarts),
  coldStartsMs: coldStarts,
  recoveryMs: recoveries.length ? Math.max(...recoveries) : null,
  recoveriesMs: recoveries,
  recoveryBoundMs: RECOVERY_SESSION_MS + 2000,
  goals: {
    fractionOfProducerPerformance: 0.6,
    ratio: 0.95,
    coldStartMs: 1000,
    recoveryMs: RECOVERY_SESSION_MS + 2000,
  },
};
process.stdout.write(
  `\nexactly-once ${figures.exactlyOnceRecordsPerSec} rec/s · at-least-once ${figures.atLeastOnceRecordsPerSec} rec/s · ratio ${figures.ratio} · ProducerPerformance ${figures.producerPerformanceRecordsPerSec ?? 'n/a'} rec/s (fraction ${figures.fractionOfProducerPerformance ?? 'n/a'}) · cold start ${figures.coldStartMs} ms · recovery ${figures.recoveryMs ?? 'n/a'} ms\n`,
);
process.stdout.write(`${JSON.stringify(figures)}\n`);
process.exit(0);
