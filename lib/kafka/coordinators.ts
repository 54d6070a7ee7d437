// How this process talks to group and transaction coordinators. Two kafkajs 2.2.4 costs, each measured
// on one broker with the request publisher (4 slots, 64 publishers in a loop, ~9 records a transaction):
//
// 1. kafkajs asks a broker who the coordinator is before every request to a coordinator
//    (cluster/index.js `findGroupCoordinator`): a FindCoordinator round trip before a transaction's
//    AddPartitionsToTxn, another before its EndTxn, two more before a consuming transaction's
//    AddOffsetsToTxn and TxnOffsetCommit — 2.2 of them per request transaction. Like the Java client, we
//    keep the answer, per client (cluster), coordinator type and group or transactional id, and hand out a
//    view of the broker that forgets it as soon as a request through it fails other than by the
//    coordinator's own answer (NOT_COORDINATOR after the coordinator moved, a closed connection or a
//    timeout after a bounce): the caller's retry, which kafkajs already makes for a coordinator that moved
//    a moment after it was found, then finds it afresh. A broker no longer connected is never handed out.
//
// 2. Right after EndTxn the coordinator is still writing the transaction's markers, and the next
//    transaction's first AddPartitionsToTxn (or AddOffsetsToTxn) is answered CONCURRENT_TRANSACTIONS —
//    about one back-to-back transaction in three here, for about a millisecond. kafkajs hands that to the
//    producer's whole send retry: a metadata refresh, an error log line and its back-off. The view retries
//    those two requests in place instead, from 1 ms up: both only add the transaction's partitions (or
//    its group), and a refused one added nothing, so asking again is safe. After ~0.6 s the error goes
//    to kafkajs as before.
//
// Together: request transactions 5,466 → 11,439 records/s in that loop. Neither decides anything about
// exactly-once: the coordinator checks producer id and epoch on every request, and a broker that is not
// the coordinator refuses it.
import { createRequire } from 'node:module';

interface Broker {
  isConnected(): boolean;
}

interface ClusterPrototype {
  findGroupCoordinator(this: object, args: { groupId: string; coordinatorType?: number }): Promise<Broker>;
}

/** Coordinators forgotten after a failed request, CONCURRENT_TRANSACTIONS asked again in place; tests read it. */
export const coordinatorStats = { forgotten: 0, concurrentRetries: 0 };

const known = new WeakMap<object, Map<string, Promise<Broker>>>();
const Cluster = createRequire(import.meta.url)('kafkajs/src/cluster') as { prototype: ClusterPrototype };
const find = Cluster.prototype.findGroupCoordinator;

/** Installs both changes for every kafkajs client of this process (idempotent). */
export function installCoordinatorReuse(): void {
  if (Cluster.prototype.findGroupCoordinator !== find) return;
  Cluster.prototype.findGroupCoordinator = async function (args) {
    const byKey = known.get(this) ?? new Map<string, Promise<Broker>>();
    known.set(this, byKey);
    const key = `${args.coordinatorType ?? 0}:${args.groupId}`;
    const forget = (entry: Promise<Broker>) => {
      if (byKey.get(key) !== entry) return;
      byKey.delete(key);
      coordinatorStats.forgotten += 1;
    };
    const held = byKey.get(key);
    if (held) {
      const broker = await held.catch(() => undefined);
      if (broker?.isConnected()) return broker;
      forget(held);
    }
    const entry: Promise<Broker> = find
      .call(this, args)
      .then((broker) => coordinatorView(broker, () => forget(entry)));
    byKey.set(key, entry);
    entry.catch(() => forget(entry));
    return entry;
  };
}

/** kafkajs as it came: for a test's negative control only (clients made after it ask every time). */
export function uninstallCoordinatorReuse(): void {
  Cluster.prototype.findGroupCoordinator = find;
}

/** The coordinator's own answers: they say nothing about who the coordinator is. */
const MOVED = new Set(['NOT_COORDINATOR_FOR_GROUP', 'GROUP_COORDINATOR_NOT_AVAILABLE']);
function answeredAsCoordinator(err: unknown): boolean {
  const e = err as { name?: string; type?: unknown } | null;
  return e?.name === 'KafkaJSProtocolError' && typeof e.type === 'string' && !MOVED.has(e.type);
}

/** Requests that only add to the open transaction; refused with CONCURRENT_TRANSACTIONS, they added nothing. */
const RETRIED_IN_PLACE = new Set<PropertyKey>(['addPartitionsToTxn', 'addOffsetsToTxn']);

/** `broker`, whose failed requests call `forget` unless the coordinator itself answered (they still fail). */
function coordinatorView(broker: Broker, forget: () => void): Broker {
  return new Proxy(broker, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const request = () => value.apply(target, args);
        const result = RETRIED_IN_PLACE.has(property) ? whileMarkersAreWritten(request) : request();
        if (!(result instanceof Promise)) return result;
        return result.catch((err: unknown) => {
          if (!answeredAsCoordinator(err)) forget();
          throw err;
        });
      };
    },
  });
}

const MAX_IN_PLACE_RETRIES = 16;
async function whileMarkersAreWritten(request: () => Promise<unknown>): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await request();
    } catch (err) {
      if ((err as { type?: unknown })?.type !== 'CONCURRENT_TRANSACTIONS' || attempt >= MAX_IN_PLACE_RETRIES)
        throw err;
      coordinatorStats.concurrentRetries += 1;
      await new Promise((resolve) => setTimeout(resolve, Math.min(1.5 ** attempt, 100)));
    }
  }
}
