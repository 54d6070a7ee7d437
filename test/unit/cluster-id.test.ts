// A KRaft cluster id is handed to kafka-storage on its command line; one that began with '-' was read
// as an option there and failed `stack:up` about once in 64 fresh starts.
import { describe, expect, it } from 'vitest';
import { newClusterId } from '../../infra/native/kafka.ts';

describe('newClusterId', () => {
  it('never starts with "-" and is 22 base64url characters (16 bytes), as Kafka expects', () => {
    const ids = Array.from({ length: 5000 }, () => newClusterId());
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
    // 5000 draws without the rule would start with '-' ~78 times; the ids are still random.
    expect(new Set(ids).size).toBe(ids.length);
  });
});
