// A function asked to stop (SIGTERM) while its brokers hang ends within SHUTDOWN_TIMEOUT_MS, exits 1 and
// names the step it was still waiting on (lib/util/stop-deadline.ts). The brokers hang from the child's
// side (fixtures/kafka-blackhole.ts: after SIGUSR2 nothing reaches them and nothing comes back, the
// connections stay open), as a stopped broker or a partitioned network looks to a client. Each has its
// negative control: with a deadline of a minute, the same child is still running well past the bound.
import { describe, expect, it } from 'vitest';
import { type Child, runChild } from '../helpers/child.ts';
import { isolatedStack } from '../helpers/isolation.ts';
import { seedClientWithUploads } from '../helpers/jobs.ts';

const stack = await isolatedStack('stopdeadline');
const topics = { jobs: stack.topic('jobs'), results: stack.topic('results'), dlq: stack.topic('dlq') };
await stack.createTopics(Object.values(topics));
const blackhole = ['--import', new URL('../fixtures/kafka-blackhole.ts', import.meta.url).pathname];
const BOUND_MS = 2_000;
const CONTROL_MS = 60_000;
/** how long past SIGTERM the control is watched: well past the bound and its slack */
const WATCH_MS = 9_000;

const common = {
  DATABASE_URL: stack.databaseUrl,
  KAFKA_BROKERS: stack.brokers.join(','),
  KAFKA_TOPIC_JOBS: topics.jobs,
  KAFKA_TOPIC_RESULTS: topics.results,
  KAFKA_TOPIC_DLQ: topics.dlq,
  LOG_FORMAT: 'json',
};

/** SIGTERM, then how the child ended within WATCH_MS (or 'running', after which it is killed). */
async function terminate(child: Child) {
  const sent = performance.now();
  child.process.kill('SIGTERM');
  const outcome = await Promise.race([
    child.exited.then((e) => ({ ...e, afterMs: performance.now() - sent })),
    new Promise<'running'>((r) => setTimeout(() => r('running'), WATCH_MS)),
  ]);
  if (outcome === 'running') child.process.kill('SIGKILL');
  return outcome;
}

/** Ended at the bound (not before it, not long after), exit 1, its log naming the step it waited on. */
function expectDeadlineExit(child: Child, ended: Awaited<ReturnType<typeof terminate>>, step: string) {
  expect(ended).not.toBe('running');
  if (ended === 'running') return;
  expect(ended.code).toBe(1);
  expect(ended.afterMs).toBeGreaterThanOrEqual(BOUND_MS - 50);
  expect(ended.afterMs).toBeLessThan(BOUND_MS + 3_000);
  const line = child.lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.event === 'shutdown.deadline');
  expect(line).toMatchObject({ timeoutMs: BOUND_MS, step });
}

async function submitWithHungBrokers(timeoutMs: number) {
  const { apiKey, cvId, projectId } = await seedClientWithUploads(stack.databaseUrl, `stop-${timeoutMs}`);
  const port = 18_500 + Math.floor(Math.random() * 200);
  const child = runChild(
    '../functions/submit/index.ts',
    {
      ...common,
      PORT: String(port),
      HOST: '127.0.0.1',
      INSTANCE_ID: `${stack.prefix}-submit-${timeoutMs}`,
      PUBLISH_TIMEOUT_MS: '1000',
      SHUTDOWN_TIMEOUT_MS: String(timeoutMs),
    },
    { execArgv: blackhole },
  );
  await child.waitForLine(/submit listening/, 100_000);
  const post = (key: string) =>
    fetch(`http://127.0.0.1:${port}/v1/evaluate`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      body: JSON.stringify({ cv_id: cvId, project_id: projectId }),
    }).then((r) => r.status);
  // the publisher's producer is connected and has committed once
  expect(await post('before')).toBe(202);
  child.process.kill('SIGUSR2');
  await child.waitForLine(/brokers hung/);
  // a request whose transaction never ends: answered 503 at its publish timeout
  const during = post('during');
  await new Promise((r) => setTimeout(r, 300));
  const ended = await terminate(child);
  return { child, ended, during: await during };
}

async function evaluatorWithHungBrokers(timeoutMs: number) {
  const child = runChild(
    '../functions/evaluate/index.ts',
    {
      ...common,
      KAFKA_EVALUATE_GROUP: `${stack.prefix}-evaluate-${timeoutMs}`,
      APP_NAME: `${stack.prefix}-${timeoutMs}`,
      EVALUATE_MAX_IDLE_MS: '120000',
      SHUTDOWN_TIMEOUT_MS: String(timeoutMs),
      LOG_LEVEL: 'debug',
    },
    { execArgv: blackhole },
  );
  // in the group, holding partitions: leaving it needs the brokers
  await child.waitForLine(/engine\.established/, 100_000);
  child.process.kill('SIGUSR2');
  await child.waitForLine(/brokers hung/);
  return { child, ended: await terminate(child) };
}

describe('the stop deadline, brokers hung', () => {
  it('submit exits 1 within SHUTDOWN_TIMEOUT_MS, naming the publisher it waited on', async () => {
    const { child, ended, during } = await submitWithHungBrokers(BOUND_MS);
    expect(during).toBe(503);
    expectDeadlineExit(child, ended, 'the request publisher (transactions in flight)');
  }, 180_000);

  it('negative control: with a deadline of a minute, the same submit is still stopping long past the bound', async () => {
    const { ended } = await submitWithHungBrokers(CONTROL_MS);
    expect(ended).toBe('running');
  }, 180_000);

  it('an evaluate invocation exits 1 within SHUTDOWN_TIMEOUT_MS, naming the session it was leaving', async () => {
    const { child, ended } = await evaluatorWithHungBrokers(BOUND_MS);
    expectDeadlineExit(child, ended, 'the invocation in hand (its transaction, then leaving the group)');
  }, 180_000);

  it('negative control: with a deadline of a minute, the same invocation is still leaving long past the bound', async () => {
    const { ended } = await evaluatorWithHungBrokers(CONTROL_MS);
    expect(ended).toBe('running');
  }, 180_000);
});
