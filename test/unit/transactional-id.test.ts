import { describe, expect, it } from 'vitest';
import { isFencedError } from '../../lib/kafka/errors.ts';
import { partitionTransactionalId, requestTransactionalId } from '../../lib/kafka/transactional-id.ts';

describe('transactional ids', () => {
  it("a partition's id never changes: it depends only on app, group, topic and partition", () => {
    const a = partitionTransactionalId('cv', 'evaluate', 'evaluate-jobs', 7);
    expect(a).toBe('cv~cp~evaluate~evaluate-jobs~7');
    expect(partitionTransactionalId('cv', 'evaluate', 'evaluate-jobs', 7)).toBe(a);
  });

  it('different partitions, topics or groups never share an id', () => {
    const ids = new Set<string>();
    for (const group of ['g', 'g-1', 'g~1'.replace('~', '.')])
      for (const topic of ['t', 't-1', 'g'])
        for (let p = 0; p < 20; p++) ids.add(partitionTransactionalId('app', group, topic, p));
    expect(ids.size).toBe(3 * 3 * 20);
  });

  it('separators cannot be forged: a part may not contain "~"', () => {
    expect(() => partitionTransactionalId('app', 'g~cp', 't', 0)).toThrow(/group/);
    expect(() => requestTransactionalId('app', 'host~1', 0, 4)).toThrow(/instance/);
  });

  it('two live instances can never share a request-side id, and one instance has a bounded set', () => {
    const a = Array.from({ length: 4 }, (_, s) => requestTransactionalId('cv', 'pod-a', s, 4));
    const b = Array.from({ length: 4 }, (_, s) => requestTransactionalId('cv', 'pod-b', s, 4));
    expect(new Set([...a, ...b]).size).toBe(8);
    expect(() => requestTransactionalId('cv', 'pod-a', 4, 4)).toThrow(/slot/);
    expect(() => requestTransactionalId('cv', 'pod-a', -1, 4)).toThrow(/slot/);
  });

  it('consumer-side and request-side ids live in different namespaces', () => {
    expect(partitionTransactionalId('cv', 'x', 'y', 0)).not.toBe(requestTransactionalId('cv', 'x', 0, 1));
  });

  it('rejects bad input', () => {
    expect(() => partitionTransactionalId('', 'g', 't', 0)).toThrow(/app/);
    expect(() => partitionTransactionalId('a', 'g', 't', -1)).toThrow(/partition/);
    expect(() => partitionTransactionalId('a', 'g', 't', 1.5)).toThrow(/partition/);
    expect(() => partitionTransactionalId('a'.repeat(300), 'g', 't', 0)).toThrow(/longer/);
  });
});

describe('fencing classification', () => {
  it('INVALID_PRODUCER_EPOCH and PRODUCER_FENCED (unknown to kafkajs: code 90) mean fenced, also when wrapped', () => {
    expect(isFencedError({ type: 'INVALID_PRODUCER_EPOCH' })).toBe(true);
    expect(isFencedError({ type: 'PRODUCER_FENCED' })).toBe(true);
    expect(isFencedError({ type: 'KAFKAJS_UNKNOWN_ERROR_CODE', message: 'Unknown error code 90' })).toBe(
      true,
    );
    const wrapped = Object.assign(new Error('retries exceeded'), {
      cause: { type: 'INVALID_PRODUCER_EPOCH' },
    });
    expect(isFencedError(wrapped)).toBe(true);
  });

  it('other errors are not fencing', () => {
    expect(isFencedError({ type: 'CONCURRENT_TRANSACTIONS' })).toBe(false);
    expect(isFencedError({ type: 'KAFKAJS_UNKNOWN_ERROR_CODE', message: 'Unknown error code 900' })).toBe(
      false,
    );
    expect(isFencedError(new Error('ECONNREFUSED'))).toBe(false);
    expect(isFencedError(undefined)).toBe(false);
  });
});
