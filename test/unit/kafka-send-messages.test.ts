// A partition whose leader moves to a broker that already answered for other partitions of the same
// send must still be sent (patches/kafkajs+2.2.4.patch, producer/sendMessages.js). Upstream kafkajs
// 2.2.4 keeps one answer per broker across retries and skips a broker that has one, so the moved
// partition's messages were dropped while the send (and so a transaction's commit) succeeded: four
// accepted jobs' request records went missing this way in a soak seed, at a preferred-leader election.
// kafkajs' own sendMessages runs here; the cluster and brokers are stand-ins (the network side).
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const createSendMessages = require('kafkajs/src/producer/sendMessages') as (
  o: object,
) => (s: object) => Promise<{ topicName: string; partition: number }[]>;
const createRetry = require('kafkajs/src/retry') as (o: object) => unknown;
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as {
  createErrorFromCode: (code: number) => Error;
};

describe('kafkajs sendMessages when a partition leader moves between tries', () => {
  it('sends the moved partition to its new leader even though that broker already answered', async () => {
    const leaders: Record<number, number> = { 0: 1, 1: 2 };
    const produced: { broker: number; partitions: number[] }[] = [];
    const answer = (topicData: { topic: string; partitions: { partition: number }[] }[]) => ({
      topics: topicData.map((t) => ({
        topicName: t.topic,
        partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: '0' })),
      })),
    });
    type Request = { topicData: { topic: string; partitions: { partition: number }[] }[] };
    const brokers = new Map<number, { nodeId: number; produce: (r: Request) => Promise<unknown> }>([
      [
        1,
        {
          nodeId: 1,
          // answers after broker 2 did: partition 0 has moved to broker 2 meanwhile
          produce: async () => {
            await new Promise((r) => setTimeout(r, 20));
            leaders[0] = 2;
            throw createErrorFromCode(6); // NOT_LEADER_FOR_PARTITION
          },
        },
      ],
      [
        2,
        {
          nodeId: 2,
          produce: async ({ topicData }) => {
            produced.push({
              broker: 2,
              partitions: topicData.flatMap((t) => t.partitions.map((p) => p.partition)),
            });
            return answer(topicData);
          },
        },
      ],
    ]);
    const cluster = {
      targetTopics: new Set(['t']),
      addMultipleTargetTopics: async () => {},
      refreshMetadataIfNecessary: async () => {},
      refreshMetadata: async () => {},
      isConnected: () => true,
      removeBroker: () => {},
      findTopicPartitionMetadata: () => [
        { partitionId: 0, leader: leaders[0] },
        { partitionId: 1, leader: leaders[1] },
      ],
      findLeaderForPartitions: (_topic: string, partitions: string[]) => {
        const out: Record<number, number[]> = {};
        for (const p of partitions.map(Number)) {
          const leader = leaders[p]!;
          out[leader] = [...(out[leader] ?? []), p];
        }
        return out;
      },
      findBroker: async ({ nodeId }: { nodeId: number | string }) => brokers.get(Number(nodeId)),
    };
    const eosManager = {
      isTransactional: () => false,
      acquireBrokerLock: async () => {},
      releaseBrokerLock: async () => {},
      getSequence: () => 0,
      updateSequence: () => {},
      getProducerId: () => -1,
      getProducerEpoch: () => 0,
      getTransactionalId: () => undefined,
    };
    const silent = { debug() {}, info() {}, warn() {}, error() {} };
    const send = createSendMessages({
      logger: silent,
      cluster,
      partitioner: ({ message }: { message: { partition: number } }) => message.partition,
      eosManager,
      retrier: createRetry({ retries: 3, initialRetryTime: 1 }),
    });
    const answers = await send({
      acks: -1,
      timeout: 1000,
      topicMessages: [
        {
          topic: 't',
          messages: [
            { partition: 0, value: 'a' },
            { partition: 1, value: 'b' },
          ],
        },
      ],
    });
    // unpatched kafkajs: [1] — partition 0 was never sent, and the send succeeded
    expect(produced.flatMap((p) => p.partitions).sort()).toEqual([0, 1]);
    expect(produced).toContainEqual({ broker: 2, partitions: [0] });
    expect(answers.map((a) => a.partition).sort()).toEqual([0, 1]);
  });
});
