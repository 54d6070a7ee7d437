// What every part of the HTTP app shares: its dependencies, the per-request variables, and a router
// factory so each sub-app answers validation failures the same way.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { QueueStats } from '../console/pages/dashboard.ts';
import type { Database } from '../db/database.ts';
import type { PublishLeaseConfig } from '../jobs/publish-lease.ts';
import type { OutputRecord } from '../kafka/types.ts';
import type { Logger } from '../telemetry/logger.ts';
import { validationHook } from './middleware/problem.ts';

export interface ApiDeps {
  db: Database;
  publish: (record: OutputRecord) => Promise<void>;
  /** records that must commit together, in one request-side transaction (a batch of jobs) */
  publishAll?: (records: OutputRecord[]) => Promise<void>;
  jobsTopic: string;
  uploadMaxBytes: number;
  /** the publish lease and timeout, shared with the sweeper (config: PUBLISH_LEASE_MS, PUBLISH_TIMEOUT_MS) */
  publishing: PublishLeaseConfig;
  logger: Logger;
  /** webhook endpoints: whether private destinations are allowed, how long a rotated secret still signs */
  webhooks?: { allowPrivate: boolean; secretOverlapMs: number };
  readiness: () => Promise<Record<string, boolean>>;
  /** system-wide queue figures for the console's dashboard */
  queueStats?: () => Promise<QueueStats>;
}

export type Env = { Variables: { requestId: string; clientId: string; log: Logger } };

/** A sub-app; mounted with `app.route()`, its OpenAPI paths join the parent's document. */
export function router(): OpenAPIHono<Env> {
  return new OpenAPIHono<Env>({ defaultHook: validationHook });
}
