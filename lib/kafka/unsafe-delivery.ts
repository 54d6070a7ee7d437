// NEGATIVE CONTROLS ONLY. The verifier runs these to show that its checks catch what exactly-once
// prevents; nothing in production selects them (KAFKA_DELIVERY_MODE defaults to exactly-once and the
// session logs a warning when another mode is on).
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { Logger } from '../telemetry/logger.ts';
import { commitTransaction, type Delivery, exactlyOnce } from './delivery.ts';
import { ENGINE_EVENTS } from './events.ts';
import { sendBounded } from './record-size.ts';
import type { DeliveryMode } from './types.ts';

/**
 * read-then-fence: the naive order — take the offset at assignment, initialise the transactional
 * producer lazily at the first commit, after the work. A zombie's commit that lands in between is not
 * fenced, and its records are processed again.
 */
const readThenFence: Delivery = {
  mode: 'read-then-fence',
  establish: (link) => link.readCommitted(),
  async commit(link, write) {
    if (!link.hasProducer()) await link.fence(); // the late fence
    await commitTransaction(await link.transaction(), write);
  },
  async close() {},
};

/** at-least-once: produce, then commit the offset outside any transaction. */
function atLeastOnce(kafka: Kafka, consumer: Consumer): Delivery {
  let producer: Producer | undefined;
  return {
    mode: 'at-least-once',
    establish: (link) => link.readCommitted(),
    async commit(_link, write) {
      if (!producer) {
        producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
        await producer.connect();
      }
      await sendBounded(producer, write.messages, write.maxBytes);
      await write.beforeCommit();
      await consumer.commitOffsets([
        { topic: write.topic, partition: write.partition, offset: write.next.toString() },
      ]);
    },
    async close() {
      await producer?.disconnect().catch(() => {});
    },
  };
}

export function deliveryFor(mode: DeliveryMode, kafka: Kafka, consumer: Consumer, log?: Logger): Delivery {
  if (mode === 'exactly-once') return exactlyOnce;
  log?.warn(
    { event: ENGINE_EVENTS.unsafeMode, mode },
    `UNSAFE DELIVERY MODE "${mode}": exactly-once is OFF — for the verifier's negative controls only`,
  );
  if (mode === 'read-then-fence') return readThenFence;
  if (mode === 'at-least-once') return atLeastOnce(kafka, consumer);
  return exactlyOnce;
}
