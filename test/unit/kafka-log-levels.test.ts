// A normal start prints no error-level line: kafkajs' error lines for answers it retries (or that our
// topic creation handles) become debug; every other error stays an error.
import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { levelFor } from '../../lib/kafka/log-levels.ts';

const response = (api: string, error: string) => ({
  namespace: 'Connection',
  level: logLevel.ERROR,
  log: { message: `Response ${api}(key: 10, version: 2)`, error } as never,
});

describe('kafkajs log levels', () => {
  it('a retriable broker answer is debug (the coordinator of a fresh broker, a leader election)', () => {
    expect(levelFor(response('GroupCoordinator', 'The group coordinator is not available'))).toBe('debug');
    expect(
      levelFor(
        response(
          'Metadata',
          'There is no leader for this topic-partition as we are in the middle of a leadership election',
        ),
      ),
    ).toBe('debug');
  });

  it('topic creation answers are debug: createTopicsAndWait handles "already exists" and throws the rest', () => {
    expect(levelFor(response('CreateTopics', 'Topic creation errors'))).toBe('debug');
  });

  it('a non-retriable answer stays an error (fencing, authorisation)', () => {
    expect(
      levelFor(
        response(
          'AddPartitionsToTxn',
          'The producer attempted to use a producer id which is not currently assigned to its transactional id',
        ),
      ),
    ).toBe('error');
    expect(
      levelFor(response('Produce', 'Not authorized to access topics: [Topic authorization failed]')),
    ).toBe('error');
  });

  it('levels other than error pass through; errors outside broker answers stay errors', () => {
    expect(levelFor({ namespace: 'Consumer', level: logLevel.WARN, log: { message: 'x' } as never })).toBe(
      'warn',
    );
    expect(
      levelFor({ namespace: 'Consumer', level: logLevel.ERROR, log: { message: 'Crash' } as never }),
    ).toBe('error');
  });

  it('a consumer crash kafkajs restarts from is info; one it cannot restart from stays an error', () => {
    const consumer = (message: string) => ({
      namespace: 'Consumer',
      level: logLevel.ERROR,
      log: { message } as never,
    });
    expect(
      levelFor(
        consumer(
          "Crash: KafkaJSProtocolError: The coordinator is loading and hence can't process requests for this group",
        ),
      ),
    ).toBe('info');
    expect(levelFor(consumer('Restarting the consumer in 100ms'))).toBe('info');
    expect(
      levelFor(
        consumer('Crash: KafkaJSProtocolError: Not authorized to access group: Group authorization failed'),
      ),
    ).toBe('error');
    expect(levelFor(consumer('Crash: TypeError: cannot read properties of undefined'))).toBe('error');
  });

  it('a broker that cannot be reached is debug per attempt, and the consumer crash it ends in is a warning', () => {
    // found from outside: 470 error lines in 25 s of a broker outage; the invocation logs the failure once
    const entry = (namespace: string, message: string) => ({
      namespace,
      level: logLevel.ERROR,
      log: { message } as never,
    });
    expect(levelFor(entry('Connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092'))).toBe(
      'debug',
    );
    expect(
      levelFor(
        entry(
          'BrokerPool',
          'Failed to connect to seed broker, trying another broker from the list: Connection error: connect ECONNREFUSED 127.0.0.1:9092',
        ),
      ),
    ).toBe('debug');
    expect(
      levelFor(
        entry(
          'Consumer',
          'Crash: KafkaJSNumberOfRetriesExceeded: Connection error: connect ECONNREFUSED 127.0.0.1:9092',
        ),
      ),
    ).toBe('warn');
    // other connection-level errors stay errors
    expect(levelFor(entry('Connection', 'SASL authentication failed'))).toBe('error');
  });

  it('the bounded-retries warning of an idempotent producer is debug; other producer warnings stay', () => {
    const producer = (message: string) => ({
      namespace: 'Producer',
      level: logLevel.WARN,
      log: { message } as never,
    });
    expect(
      levelFor(producer('Limiting retries for the idempotent producer may invalidate EoS guarantees')),
    ).toBe('debug');
    expect(levelFor(producer('Failed to send messages'))).toBe('warn');
  });

  it('a send kafkajs retries after a retriable answer or a lost connection is debug; any other failed send stays an error', () => {
    // found from outside: a broker paused for 15 s gave 47 of these at error in one second as it came back
    const failedSend = (cause: string) => ({
      namespace: 'Producer',
      level: logLevel.ERROR,
      log: { message: `Failed to send messages: ${cause}`, retryCount: 0, retryTime: 5 } as never,
    });
    expect(levelFor(failedSend('This is not the correct coordinator for this group'))).toBe('debug');
    expect(
      levelFor(failedSend("The coordinator is loading and hence can't process requests for this group")),
    ).toBe('debug');
    expect(levelFor(failedSend('Connection error: connect ECONNREFUSED 127.0.0.1:9092'))).toBe('debug');
    expect(levelFor(failedSend('Not authorized to access topics: [Topic authorization failed]'))).toBe(
      'error',
    );
    expect(
      levelFor(
        failedSend('The request included a message larger than the max message size the server will accept'),
      ),
    ).toBe('error');
  });
});
