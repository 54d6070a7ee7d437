// The protocol's load-bearing assumption, proven on a 3-broker cluster: after a new owner fences the
// partition's transactional id, the committed offset it reads is final — even when the previous
// owner's EndTxn took effect but its answer was lost (the owner died waiting for it), and the group
// coordinator (the leader of the group's __consumer_offsets partition) is killed at that very moment,
// so the new owner reads the offset from the coordinator that took over. kafkajs reads offsets with
// OffsetFetch v4, which has no require_stable: fencing first is what makes the read stable (the
// transaction coordinator answers InitProducerId only after the old transaction is completed, markers
// written). A stale read would re-run the batch: a second output for each of its records.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createKafka } from '../../lib/kafka/client.ts';
import { runSession } from '../../lib/kafka/session.ts';
import { createTopicsAndWait } from '../../lib/kafka/topics.ts';
import { runChild } from '../helpers/child.ts';
import {
  checkExactlyOnce,
  committedOffsets,
  endOffsets,
  produceInputs,
  testLogger,
} from '../helpers/engine.ts';
import { drainTopic } from '../helpers/kafka.ts';
import { privateCluster, projectRoot } from '../helpers/private-cluster.ts';

const cluster = privateCluster(0);
const brokers = cluster.brokers;

/** Kafka's group → __consumer_offsets partition: abs(Java String.hashCode) mod the partition count. */
function offsetsPartitionOf(groupId: string, partitions: number): number {
  let h = 0;
  for (let i = 0; i < groupId.length; i++) h = (Math.imul(h, 31) + groupId.charCodeAt(i)) | 0;
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions;
}

const kafka = createKafka({ brokers, clientId: 'fence-proof' });

describe('the offset read after fencing, on 3 brokers', () => {
  it('an EndTxn whose answer is lost while the group coordinator is killed: the next owner reads the committed offset and emits nothing twice', async () => {
    const t = { input: 'proof-in', output: 'proof-out', dlq: 'proof-dlq', group: 'proof-group' };
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsAndWait(admin, [t.input, t.output, t.dlq], { partitions: 1, replicationFactor: 3 });
    await admin.disconnect();

    // The first owner commits two batches, then loses the answer to its third EndTxn and dies.
    const first = runChild('fixtures/session-child.ts', {
      BROKERS: brokers.join(','),
      GROUP: t.group,
      INPUT: t.input,
      OUTPUT: t.output,
      DLQ: t.dlq,
      LOSE_END_TXN_AT: '3',
      MAX_IDLE_MS: '60000',
    });
    const keys: string[] = [];
    for (let round = 0; round < 2; round++) {
      keys.push(...(await produceInputs(kafka, t.input, 50, 'in', round * 50)));
      await first.waitForLine(new RegExp(`^committed 0 ${(round + 1) * 50}$`), 120_000);
    }
    // The group's coordinator: the leader of its __consumer_offsets partition (it exists now).
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] });
    await admin.disconnect();
    const offsetsPartitions = meta.topics[0]!.partitions;
    const coordinator = offsetsPartitions.find(
      (p) => p.partitionId === offsetsPartitionOf(t.group, offsetsPartitions.length),
    )!.leader;
    const victimPid = cluster.brokerPid(coordinator)!;
    keys.push(...(await produceInputs(kafka, t.input, 50, 'in', 100)));
    await first.waitForLine(/^endtxn-sent$/, 120_000);
    // The EndTxn took effect (its outputs became visible to read_committed readers) though the owner
    // never heard so; only then the group coordinator goes, so the next owner must read the offset that
    // commit wrote from the coordinator that takes over. (Killed sooner, the coordinator may lose the
    // commit itself: the transaction is then aborted, which proves less.)
    const committedSoFar = await drainTopic(kafka, t.output, { expected: 101, timeoutMs: 30_000 });
    expect(committedSoFar.length).toBeGreaterThan(100);
    process.kill(victimPid, 'SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const acknowledged = first.lines.filter((l) => l.startsWith('committed '));
    expect(acknowledged).toHaveLength(2);
    const acknowledgedUpTo = Number(acknowledged[1]!.split(' ')[2]);

    // The next owner takes over while the coordinator's broker is down; it comes back meanwhile.
    const restart = new Promise<void>((resolve) => {
      const child = spawn(process.execPath, ['scripts/stack.ts', 'restart-broker', String(coordinator)], {
        cwd: projectRoot,
        env: cluster.env,
        stdio: 'ignore',
      });
      child.on('exit', () => resolve());
    });
    const report = await runSession({
      kafka,
      app: 'test',
      groupId: t.group,
      topic: t.input,
      dlqTopic: t.dlq,
      logger: testLogger,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 500,
      maxIdleMs: 3000,
      maxDurationMs: 120_000,
      handler: async ({ records, partition }) => ({
        outputs: records.map((r) => ({
          topic: t.output,
          key: r.key,
          value: `next:${r.value?.toString()}`,
          headers: { src: `${partition}:${r.offset}` },
        })),
      }),
    });
    await restart;
    expect(report.dlq).toBe(0);

    const outputs = await drainTopic(kafka, t.output, { expected: keys.length });
    const check = checkExactlyOnce(keys, outputs);
    expect(check.duplicates).toEqual([]);
    expect(check.missing).toEqual([]);
    // The lost commit did take effect: the first owner's committed outputs go past what its two
    // acknowledged commits covered, and the next owner started after them.
    const byFirstOwner = outputs.filter((o) => o.value?.startsWith('out:')).length;
    expect(byFirstOwner).toBeGreaterThan(acknowledgedUpTo);
    expect((await committedOffsets(kafka, t.group, t.input)).get(0)).toBe(
      (await endOffsets(kafka, t.input)).get(0),
    );
  }, 300_000);
});
