// Which level a kafkajs log line deserves. kafkajs logs every error answer from a broker at ERROR
// before its caller decides what to do, and most callers retry: on a fresh broker each start prints
// "The group coordinator is not available" (the offsets topic is still being created), and two
// processes creating the same topics print "Topic creation errors" though the loser only finds them
// there. An error that outlasts kafkajs' retries reaches our code as a thrown error and is logged there,
// so a broker's answer that is retriable — or one our own code handles (topic creation) — is debug, and
// a consumer crash on a retriable answer, which kafkajs restarts from, is info.
import { createRequire } from 'node:module';
import { logLevel as KafkaLogLevel, type LogEntry } from 'kafkajs';

export type LogLevelName = 'error' | 'warn' | 'info' | 'debug';

const byKafkaLevel: Record<number, LogLevelName> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/** Messages of the broker error codes kafkajs itself retries (its protocol error table, 2.2.4). */
const retriableMessages: Set<string> = (() => {
  try {
    const table = createRequire(import.meta.url)('kafkajs/src/protocol/error') as {
      errorCodes: { message: string; retriable: boolean }[];
    };
    return new Set(table.errorCodes.filter((e) => e.retriable).map((e) => e.message));
  } catch {
    return new Set<string>();
  }
})();

/** "Crash: KafkaJSProtocolError: <broker message>", as the consumer logs a crash it may restart from */
const crash = /^Crash: [A-Za-z]+: (.*)$/;

// Logged at warn by every idempotent producer whose retries are bounded, as ours are (FAST_RETRY): a send
// that exhausts them fails its transaction, which is aborted and its producer initialised again, so
// nothing is committed twice or with a gap. Exactly-once rests on the transaction, not on that count.
const BOUNDED_RETRIES = 'Limiting retries for the idempotent producer';

// A broker that cannot be reached: kafkajs logs each connection attempt and each seed broker it tries at
// ERROR, and retries. Found from outside: 470 error lines in 25 s of a broker outage under npm start. What
// outlasts its retries ends the session and is logged once by the invocation ("invocation failed").
const UNREACHABLE = /^(?:Connection error: |Failed to connect to seed broker|Connection timeout)/;
const CRASH_UNREACHABLE = /^Crash: [A-Za-z]+: (?:Connection error: |Connection timeout)/;

// A produce that kafkajs retries (sendMessages.js: a retriable broker answer, a connection error, stale
// metadata): it logs each retry at ERROR before it retries. Found from outside: a broker paused for 15 s
// gave 47 error lines in one second as it came back ("This is not the correct coordinator for this
// group", "The coordinator is loading…"), every send then succeeding. A send that outlasts the retries
// fails its transaction, which our code logs once ("transaction failed", "publish failed").
const SEND_RETRIED = 'Failed to send messages: ';

export function levelFor(entry: Pick<LogEntry, 'namespace' | 'level' | 'log'>): LogLevelName {
  const level = byKafkaLevel[entry.level] ?? 'debug';
  if (entry.namespace === 'Producer' && String(entry.log.message ?? '').startsWith(BOUNDED_RETRIES))
    return 'debug';
  if (level !== 'error') return level;
  if (UNREACHABLE.test(String(entry.log.message ?? ''))) return 'debug';
  if (entry.namespace === 'Producer' && String(entry.log.message ?? '').startsWith(SEND_RETRIED)) {
    const cause = String(entry.log.message).slice(SEND_RETRIED.length);
    if (retriableMessages.has(cause) || UNREACHABLE.test(cause)) return 'debug';
  }
  if (entry.namespace === 'Consumer' && CRASH_UNREACHABLE.test(String(entry.log.message ?? '')))
    return 'warn';
  if (entry.namespace === 'Consumer') return consumerLevel(String(entry.log.message ?? ''));
  if (entry.namespace !== 'Connection') return level;
  const message = String(entry.log.message ?? '');
  if (!message.startsWith('Response ')) return level;
  const error = String((entry.log as { error?: unknown }).error ?? '');
  if (retriableMessages.has(error)) return 'debug';
  // createTopicsAndWait treats TOPIC_ALREADY_EXISTS as success and throws anything else.
  if (message.startsWith('Response CreateTopics')) return 'debug';
  return level;
}

// A consumer that crashes on a retriable broker answer (on a fresh broker: "The coordinator is loading")
// restarts by itself: that is news, not an error. A crash it cannot restart from stays an error.
function consumerLevel(message: string): LogLevelName {
  if (message.startsWith('Restarting the consumer in ')) return 'info';
  const m = crash.exec(message);
  return m && retriableMessages.has(m[1]!) ? 'info' : 'error';
}
