// A consumer stopped while kafkajs restarts its fetchers must stop (lib/kafka/stopped-fetch.ts). This drives
// kafkajs' own Runner and fetch manager; only the consumer group (the network side) is a stand-in: two
// brokers, a batch held in the handler, then broker 2 leaves the cluster and the consumer is stopped while
// the manager waits for that batch. Without the fix the new fetchers spin on a stopped runner's `fetch`
// (the first test shows it, with a safety valve so it ends); with it, stopping ends after a few calls,
// without a crash even when the runner has no retries left. The fix cannot be undone in a process, so the
// negative control runs first.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { installStoppedFetchFix } from '../../lib/kafka/stopped-fetch.ts';

const require = createRequire(import.meta.url);
const Runner = require('kafkajs/src/consumer/runner') as new (options: object) => RunnerLike;

interface RunnerLike {
  running: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  fetch(nodeId: number): Promise<unknown[]>;
  handleBatch(batch: unknown): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const VALVE = 10_000;

async function stopDuringFetcherRestart(retries: number) {
  const silent = { debug() {}, info() {}, warn() {}, error() {}, namespace: () => silent };
  let nodeIds = [1, 2];
  let crashes = 0;
  let served = false;
  const group = {
    groupId: 'g',
    memberId: 'm',
    connect: async () => {},
    joinAndSync: async () => {},
    heartbeat: async () => {},
    getNodeIds: () => nodeIds,
    fetch: async (nodeId: number) => {
      if (nodeId === 1 && !served) {
        served = true;
        return [{ topic: 't', partition: 0 }];
      }
      await sleep(5);
      return [];
    },
  };
  const runner = new Runner({
    logger: silent,
    consumerGroup: group,
    instrumentationEmitter: { emit() {} },
    concurrency: 1,
    onCrash: () => {
      crashes += 1;
    },
    retry: { retries, initialRetryTime: 10 },
  });
  let release!: () => void;
  let entered!: () => void;
  const inHandler = new Promise<void>((r) => {
    entered = r;
  });
  runner.handleBatch = () => {
    entered();
    return new Promise<void>((r) => {
      release = r;
    });
  };
  const fetch = runner.fetch.bind(runner);
  let callsAfterStop = 0;
  runner.fetch = (nodeId) => {
    // the valve: a spinning fetcher never yields, so only a rejection here can end it
    if (!runner.running && ++callsAfterStop >= VALVE) return Promise.reject(new Error('valve'));
    return fetch(nodeId);
  };

  await runner.start();
  await inHandler;
  nodeIds = [1]; // broker 2 left: its fetcher throws KafkaJSFetcherRebalanceError at its next fetch
  await sleep(50); // …and the manager now waits for fetcher 1, whose batch is still in the handler
  const stopped = runner.stop();
  release();
  await stopped;
  await sleep(50); // a retrier's attempt would land here
  return { callsAfterStop, crashes };
}

describe('a consumer stopped while kafkajs restarts its fetchers', () => {
  it('spins on the stopped runner without the fix (negative control)', async () => {
    expect((await stopDuringFetcherRestart(5)).callsAfterStop).toBe(VALVE);
  });

  it('stops after a few fetches with the fix, and reports no crash even with no retries left', async () => {
    installStoppedFetchFix();
    for (const retries of [5, 0]) {
      const { callsAfterStop, crashes } = await stopDuringFetcherRestart(retries);
      expect(callsAfterStop).toBeLessThan(5);
      expect(crashes).toBe(0);
    }
  });
});
