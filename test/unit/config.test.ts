import { describe, expect, it } from 'vitest';
import { deliveryModes, loadConfig } from '../../lib/config.ts';
import { ConfigError } from '../../lib/errors.ts';
import { deliveryModes as engineDeliveryModes } from '../../lib/kafka/types.ts';

describe('config', () => {
  it('has defaults that work locally', () => {
    const c = loadConfig({});
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(c.database.url).toBe('postgres://postgres@127.0.0.1:5432/cv_evaluator');
    expect(c.kafka.deliveryMode).toBe('exactly-once');
    expect(c.llm.provider).toBe('offline');
  });

  it('parses lists and numbers', () => {
    const c = loadConfig({ KAFKA_BROKERS: 'a:1, b:2', PORT: '9000', KAFKA_TOPIC_PARTITIONS: '3' });
    expect(c.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(c.submit.port).toBe(9000);
    expect(c.kafka.partitions).toBe(3);
  });

  it('names every bad variable and what it expects', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', KAFKA_DELIVERY_MODE: 'maybe' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('PORT must be an integer between 1 and 65535 (got "eighty")');
    expect(message).toContain('DATABASE_URL must be a postgres:// or postgresql:// URL');
    expect(message).toContain('KAFKA_DELIVERY_MODE');
    expect((error as ConfigError).problems).toHaveLength(3);
  });

  it('never echoes a secret: a URL loses its password, keys are hidden', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (err) {
        return (err as ConfigError).message;
      }
      return '';
    };
    const url = problems({ DATABASE_URL: 'mysql://app:s3cr3t-pw@db:3306/x' });
    expect(url).toContain('DATABASE_URL must be');
    expect(url).toContain('mysql://app:***@db:3306/x');
    expect(url).not.toContain('s3cr3t-pw');
    const broken = problems({ DATABASE_URL: 'postgres://app:s3cr3t@[db:5432/x' });
    expect(broken).toContain('DATABASE_URL must be');
    expect(broken).not.toContain('s3cr3t');
    const llm = problems({
      LLM_PROVIDER: 'openai-compatible',
      LLM_BASE_URL: 'not a url',
      LLM_API_KEY: 'sk-x',
    });
    expect(llm).not.toContain('sk-x');
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ PORT: '' }).submit.port).toBe(8080);
  });

  it('refuses an openai-compatible provider with nowhere to call', () => {
    expect(() => loadConfig({ LLM_PROVIDER: 'openai-compatible' })).toThrow(/LLM_BASE_URL/);
  });

  it('refuses a publish lease that could expire under a publish in progress', () => {
    expect(loadConfig({}).publish).toEqual({ leaseMs: 15_000, timeoutMs: 5_000 });
    expect(() => loadConfig({ PUBLISH_LEASE_MS: '5000', PUBLISH_TIMEOUT_MS: '5000' })).toThrow(
      /PUBLISH_LEASE_MS must be above PUBLISH_TIMEOUT_MS/,
    );
    expect(loadConfig({ PUBLISH_LEASE_MS: '5001', PUBLISH_TIMEOUT_MS: '5000' }).publish.leaseMs).toBe(5001);
  });

  it('lists the same delivery modes as the engine (config keeps its own copy so it imports no layer)', () => {
    expect([...deliveryModes]).toEqual([...engineDeliveryModes]);
  });
});
