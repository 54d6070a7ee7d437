// A stopped consumer must not fetch. kafkajs 2.2.4 restarts its fetchers when the set of brokers changes
// (consumer/fetchManager.js: a fetcher throws KafkaJSFetcherRebalanceError, the manager waits for the
// other fetchers to finish their batches, then creates new ones) without asking whether the consumer was
// stopped meanwhile. A broker that is bounced changes that set twice. When `disconnect()` lands while the
// manager waits — a batch in a slow handler is enough — the new fetchers call the runner's `fetch`, which
// for a stopped runner answers `[]` at once (consumer/runner.js), and each fetcher loops on it for ever:
// every turn is a resolved promise, so the loop never yields to timers or I/O. The process is then alive,
// silent and at 100 % of a core; `disconnect()` never settles, and not even the shutdown's own timer fires.
// It is the likeliest cause of an invocation seen in a soak seed, which went silent after a broker bounce
// and a rejoin (its process was gone before it could be inspected).
//
// The fix: a stopped runner's `fetch` throws, which ends the fetchers and so the manager's `start`, and
// that `start` then returns as if the fetchers had stopped normally — not through the runner's retrier,
// whose retries a broker bounce may have used up already (an exhausted retrier reports a crash, and the
// consumer would schedule a restart that nothing cancels). The runner then reports that it stopped
// consuming, so `disconnect()` goes on to leave the group. A running consumer is unaffected.
import { createRequire } from 'node:module';

interface FetchManager {
  start(): Promise<void>;
}

interface RunnerPrototype {
  running: boolean;
  fetchManager: FetchManager;
  fetch(this: RunnerPrototype, nodeId: number): Promise<unknown[]>;
  start(this: RunnerPrototype, ...args: unknown[]): Promise<void>;
}

class StoppedConsumerFetch extends Error {}

const wrapped = new WeakSet<FetchManager>();
let installed = false;

/** Makes every kafkajs consumer of this process stop fetching once it is stopped (idempotent). */
export function installStoppedFetchFix(): void {
  if (installed) return;
  installed = true;
  const require = createRequire(import.meta.url);
  const Runner = require('kafkajs/src/consumer/runner') as { prototype: RunnerPrototype };
  const { fetch, start } = Runner.prototype;
  Runner.prototype.fetch = function (nodeId) {
    if (!this.running) return Promise.reject(new StoppedConsumerFetch('the consumer is stopped'));
    return fetch.call(this, nodeId);
  };
  // the fetch manager is made in the runner's constructor; wrap it before the runner first uses it
  Runner.prototype.start = function (...args) {
    const manager = this.fetchManager;
    if (!wrapped.has(manager)) {
      wrapped.add(manager);
      const startFetchers = manager.start;
      manager.start = async () => {
        try {
          await startFetchers();
        } catch (err) {
          if (!(err instanceof StoppedConsumerFetch)) throw err;
        }
      };
    }
    return start.apply(this, args);
  };
}
