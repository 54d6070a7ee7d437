// What every part of the HTTP app shares: its dependencies, the per-request variables, and a router
// factory so each sub-app answers validation failures the same way.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Config } from '../config.ts';
import type { QueueStats } from '../console/pages/dashboard.ts';
import type { Database } from '../db/database.ts';
import type { Extracted } from '../evaluation/extract.ts';
import type { PublishLeaseConfig } from '../jobs/publish-lease.ts';
import type { OutputRecord } from '../kafka/types.ts';
import type { UploadMemory } from '../limits/upload-memory.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Resolve } from '../webhooks/address-guard.ts';
import { validationHook } from './middleware/problem.ts';

export interface ApiDeps {
  db: Database;
  publish: (record: OutputRecord) => Promise<void>;
  /** records that must commit together, in one request-side transaction (a batch of jobs) */
  publishAll?: (records: OutputRecord[]) => Promise<void>;
  jobsTopic: string;
  uploadMaxBytes: number;
  /** the upload bytes held at once, shared by every upload route (config default when absent) */
  uploadMemory?: UploadMemory;
  /** the publish lease and timeout, shared with the sweeper (config: PUBLISH_LEASE_MS, PUBLISH_TIMEOUT_MS) */
  publishing: PublishLeaseConfig;
  logger: Logger;
  /** webhook endpoints: whether private destinations are allowed, how long a rotated secret still signs */
  webhooks?: {
    allowPrivate: boolean;
    secretOverlapMs: number;
    /** test seam: the DNS resolver of the registration's SSRF check */
    resolve?: Resolve;
  };
  /** readiness checks by name: each resolves when its dependency answers (lib/api/routes/health.ts) */
  readiness: Record<string, () => Promise<unknown>>;
  /** system-wide queue figures for the console's dashboard */
  queueStats?: () => Promise<QueueStats>;
  /** where erased jobs' tombstones go */
  resultsTopic: string;
  /** parses uploads off the event loop (lib/extraction/sandbox.ts); a default sandbox when absent */
  extractor?: { extract(bytes: Uint8Array): Promise<Extracted> };
  /** how long one bulk upload may spend reading its files (BULK_READ_BUDGET_MS when absent; a test seam) */
  bulkReadBudgetMs?: number;
  /**
   * The evaluator reads with the offline provider (LLM_PROVIDER=offline): a job description or brief it
   * cannot screen against is refused where it is given (422 CANNOT_SCREEN), not failed on every job later.
   */
  offlineScreening?: boolean;
  /** per-client rate limits, quota and input budget (config defaults when absent) */
  limits?: Config['limits'];
  /** the API-key cache's fixed lifetimes (config defaults when absent) */
  keyCache?: { ttlMs: number; negativeTtlMs: number };
}

export type Env = { Variables: { requestId: string; clientId: string; apiKeyId: string; log: Logger } };

/** A sub-app; mounted with `app.route()`, its OpenAPI paths join the parent's document. */
export function router(): OpenAPIHono<Env> {
  return new OpenAPIHono<Env>({ defaultHook: validationHook });
}
