// Observability with in-memory exporters, on the real broker and PostgreSQL: one job's spans from its
// HTTP request to its database write form one trace or are linked; transaction counters move on
// commit, abort and fencing; the lag figure is right with no live consumer.
import { type Attributes, SpanKind } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OfflineProvider } from '../../lib/evaluation/providers/offline.ts';
import { warmUpEvaluation } from '../../lib/evaluation/warm-up.ts';
import { createEvaluateHandler } from '../../lib/jobs/evaluate-handler.ts';
import { consumerLag } from '../../lib/kafka/lag.ts';
import { RequestPublisher } from '../../lib/kafka/request-publisher.ts';
import { runSession } from '../../lib/kafka/session.ts';
import { partitionTransactionalId, requestTransactionalId } from '../../lib/kafka/transactional-id.ts';
import { startTelemetry, type TelemetryHandle } from '../../lib/telemetry/otel.ts';
import { type ApiHarness, apiHarness, uploadForm } from '../helpers/api.ts';
import { echoHandler, fenceTransactionalId, produceInputs, testLogger } from '../helpers/engine.ts';
import { isolatedStack } from '../helpers/isolation.ts';

const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });
let telemetry: TelemetryHandle;
const stack = await isolatedStack('telemetry');
let h: ApiHarness;

beforeAll(async () => {
  telemetry = await startTelemetry({
    serviceName: 'test',
    spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
    metricReaders: [reader],
  });
  h = await apiHarness(stack);
});
afterAll(async () => {
  await h?.close();
  await telemetry?.shutdown();
});

async function counter(name: string, attributes: Attributes): Promise<number> {
  await reader.forceFlush();
  const batches = metricExporter.getMetrics();
  const latest = batches[batches.length - 1];
  let total = 0;
  for (const scope of latest?.scopeMetrics ?? []) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== name) continue;
      for (const point of metric.dataPoints) {
        if (Object.entries(attributes).every(([k, v]) => point.attributes[k] === v))
          total += point.value as number;
      }
    }
  }
  return total;
}

const find = (pred: (s: ReadableSpan) => boolean) => spans.getFinishedSpans().filter(pred);

describe('telemetry', () => {
  it("one job's spans, from its HTTP request to its database write, form one trace or are linked", async () => {
    const up = (await (
      await h.app.request('/v1/upload', {
        method: 'POST',
        headers: { authorization: `Bearer ${h.keyA}` },
        body: uploadForm({
          cv: { bytes: 'Engineer: TypeScript, Kafka.', name: 'cv.txt' },
          project: { bytes: 'Report: queue, retries.', name: 'p.txt' },
        }),
      })
    ).json()) as { cv_id: string; project_id: string };
    const res = await h.app.request('/v1/evaluate', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${h.keyA}`,
        'content-type': 'application/json',
        'idempotency-key': 'trace-1',
      },
      body: JSON.stringify({ cv_id: up.cv_id, project_id: up.project_id }),
    });
    const { id } = (await res.json()) as { id: string };
    await runSession({
      kafka: stack.kafka,
      app: 'test',
      groupId: `${stack.prefix}-trace`,
      topic: h.topics.jobs,
      dlqTopic: h.topics.dlq,
      handler: createEvaluateHandler({
        db: h.db,
        provider: new OfflineProvider(),
        resultsTopic: h.topics.results,
        maxAttempts: 3,
      }),
      maxIdleMs: 1500,
      sessionTimeoutMs: 6000,
    });

    const [http] = find((s) => s.kind === SpanKind.SERVER && s.name === 'POST /v1/evaluate');
    expect(http).toBeDefined();
    const trace = http!.spanContext().traceId;
    const [publish] = find((s) => s.kind === SpanKind.PRODUCER && s.spanContext().traceId === trace);
    expect(publish?.name).toBe(`publish ${h.topics.jobs}`);
    // The evaluation continues the request's trace…
    const [job] = find((s) => s.name === 'evaluate job' && s.attributes['cv.job_id'] === id);
    expect(job?.spanContext().traceId).toBe(trace);
    const steps = find(
      (s) => s.name.startsWith('llm ') && s.parentSpanContext?.spanId === job!.spanContext().spanId,
    );
    expect(steps.map((s) => s.name).sort()).toEqual(['llm cv', 'llm project', 'llm summary']);
    // …and the consume span that stored it links to the publish span; the database write is its child.
    const [consume] = find(
      (s) =>
        s.kind === SpanKind.CONSUMER &&
        s.links.some((l) => l.context.spanId === publish!.spanContext().spanId),
    );
    expect(consume).toBeDefined();
    const writes = find(
      (s) => s.name === 'db.recordOutcomes' && s.parentSpanContext?.spanId === consume!.spanContext().spanId,
    );
    expect(writes).toHaveLength(1);
    const inserts = find((s) => s.name === 'db.insertJobIfUploadsMatch' && s.spanContext().traceId === trace);
    expect(inserts).toHaveLength(1);
  });

  it('transaction counters move on commit, abort and fencing', async () => {
    const input = stack.topic('tx-in');
    const output = stack.topic('tx-out');
    await stack.createTopics([input, output], 1);
    await produceInputs(stack.kafka, input, 20);
    const group = `${stack.prefix}-tx`;
    const before = {
      commit: await counter('kafka.transactions', { role: 'consume', outcome: 'commit' }),
      abort: await counter('kafka.transactions', { role: 'consume', outcome: 'abort' }),
      fenced: await counter('kafka.transactions', { role: 'consume', outcome: 'fenced' }),
    };
    let failOnce = true;
    await runSession({
      kafka: stack.kafka,
      app: 'test',
      groupId: group,
      topic: input,
      dlqTopic: output,
      handler: echoHandler(output),
      logger: testLogger,
      maxIdleMs: 1500,
      sessionTimeoutMs: 6000,
      hooks: {
        beforeCommit: () => {
          if (failOnce) {
            failOnce = false;
            throw new Error('injected failure between produce and commit');
          }
        },
      },
    });
    expect(await counter('kafka.transactions', { role: 'consume', outcome: 'abort' })).toBe(before.abort + 1);
    expect(await counter('kafka.transactions', { role: 'consume', outcome: 'commit' })).toBeGreaterThan(
      before.commit,
    );

    // Fenced: another producer initialises the partition's id between produce and commit.
    await produceInputs(stack.kafka, input, 5, 'more');
    let intrude = true;
    await runSession({
      kafka: stack.kafka,
      app: 'test',
      groupId: group,
      topic: input,
      dlqTopic: output,
      handler: echoHandler(output),
      logger: testLogger,
      maxIdleMs: 1500,
      sessionTimeoutMs: 6000,
      hooks: {
        beforeCommit: async () => {
          if (!intrude) return;
          intrude = false;
          await fenceTransactionalId(stack.kafka, partitionTransactionalId('test', group, input, 0));
        },
      },
    });
    expect(await counter('kafka.transactions', { role: 'consume', outcome: 'fenced' })).toBe(
      before.fenced + 1,
    );

    // Request side: a fenced slot counts as fenced.
    const publisher = new RequestPublisher({
      kafka: stack.kafka,
      app: stack.prefix,
      instanceId: 'metrics',
      slots: 1,
    });
    await publisher.publish({ topic: output, key: 'a', value: '1' });
    await publisher.publish({ topic: output, key: 'a', value: '1b' });
    // the next transaction is lane 0's again (a slot takes turns on its two lanes)
    await fenceTransactionalId(stack.kafka, requestTransactionalId(stack.prefix, 'metrics', 0, 2));
    await publisher.publish({ topic: output, key: 'a', value: '2' }).catch(() => {});
    await publisher.close();
    expect(await counter('kafka.transactions', { role: 'request', outcome: 'fenced' })).toBe(1);
    expect(
      await counter('kafka.transactions', { role: 'request', outcome: 'commit' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('consumer lag is end offset minus committed offset, correct with no live consumer', async () => {
    const topic = stack.topic('lag');
    await stack.createTopics([topic], 2);
    const producer = stack.kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 30 }, (_, i) => ({ partition: 0, value: `a${i}` })),
    });
    await producer.send({
      topic,
      messages: Array.from({ length: 7 }, (_, i) => ({ partition: 1, value: `b${i}` })),
    });
    await producer.disconnect();
    const group = `${stack.prefix}-lag`;
    const admin = stack.kafka.admin();
    await admin.connect();
    // No member is alive: commit an offset for partition 0 only, as a finished invocation would have.
    await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '12' }] });
    const lag = await consumerLag(admin, group, topic);
    await admin.disconnect();
    expect(lag).toEqual([
      { partition: 0, end: 30, committed: 12, lag: 18 },
      { partition: 1, end: 7, committed: null, lag: 7 },
    ]);
  });

  it("an evaluator's warm-up records no spans with telemetry on (its practice is no job's)", async () => {
    const llmSpans = () => find((s) => s.name.startsWith('llm ')).length;
    spans.reset();
    await warmUpEvaluation(new OfflineProvider(), { telemetry: true });
    expect(llmSpans()).toBe(0);
    // negative control: the same practice unsuppressed records a span per step
    await warmUpEvaluation(new OfflineProvider(), { telemetry: false });
    expect(llmSpans()).toBe(9);
  });
});
