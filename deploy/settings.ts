// The one source of truth for deployments: image, topics and environment. Values are checked against
// lib/config.ts (the same schema the functions parse at start), so a manifest can neither miss a
// variable the code requires nor carry one it does not know.
import { configVariables, loadConfig } from '../lib/config.ts';

export interface DeploySettings {
  image: string;
  namespace: string;
  /** plain environment shared by the functions */
  env: Record<string, string>;
  /** names of variables that come from a Secret, never from a manifest in clear */
  secretEnv: string[];
  partitions: number;
}

/** Variables a deployment must set explicitly: their local defaults make no sense in a cluster. */
export const REQUIRED_IN_DEPLOYMENTS = ['DATABASE_URL', 'KAFKA_BROKERS'] as const;
export const SECRET_VARIABLES = ['DATABASE_URL', 'LLM_API_KEY'] as const;

export function deploySettings(
  overrides: Partial<Record<string, string>> = {},
  image = 'ghcr.io/example/cv-evaluator:latest',
): DeploySettings {
  const env: Record<string, string> = {
    APP_NAME: 'cv-evaluator',
    LOG_LEVEL: 'info',
    KAFKA_BROKERS: 'kafka-bootstrap.kafka.svc:9092',
    KAFKA_TOPIC_JOBS: 'evaluate-jobs',
    KAFKA_TOPIC_RESULTS: 'evaluate-results',
    KAFKA_TOPIC_DLQ: 'evaluate-jobs-dlq',
    KAFKA_TOPIC_PARTITIONS: '12',
    KAFKA_REPLICATION_FACTOR: '3',
    KAFKA_EVALUATE_GROUP: 'cv-evaluator-evaluate',
    EVALUATE_MAX_DURATION_MS: '240000',
    EVALUATE_MAX_IDLE_MS: '5000',
    EVALUATE_SESSION_TIMEOUT_MS: '10000',
    KAFKA_NOTIFY_GROUP: 'cv-evaluator-notify',
    KAFKA_TOPIC_NOTIFY_DLQ: 'evaluate-results-dlq',
    NOTIFY_MAX_DURATION_MS: '240000',
    WEBHOOKS_ALLOW_PRIVATE: 'false',
    LLM_PROVIDER: 'offline',
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  } as Record<string, string>;
  for (const name of Object.keys(env)) {
    if (!(configVariables as string[]).includes(name))
      throw new Error(`deploy setting ${name} is not a variable lib/config.ts knows`);
  }
  // Parse with the functions' own schema (secrets stand in with placeholders): bad values fail here.
  loadConfig({ ...env, DATABASE_URL: 'postgres://placeholder@db/cv_evaluator' });
  return {
    image,
    namespace: 'cv-evaluator',
    env,
    secretEnv: [...SECRET_VARIABLES],
    partitions: Number(env.KAFKA_TOPIC_PARTITIONS),
  };
}
