// Per-client abuse limits: request rates on upload and evaluate, a daily job quota, and an input budget
// per job. Counted in PostgreSQL (lib/db/rate-limits.ts) so the limits hold however many submit
// instances run. A refusal carries Retry-After and the IETF RateLimit / RateLimit-Policy headers
// (draft-ietf-httpapi-ratelimit-headers).
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { hitWindow, type WindowHit } from '../db/rate-limits.ts';
import { AppError, codes } from '../errors.ts';

export type LimitName = 'upload' | 'evaluate' | 'jobs-day';

export class LimitExceededError extends AppError {
  readonly headers: Record<string, string>;
  constructor(
    code: typeof codes.RATE_LIMITED | typeof codes.QUOTA_EXCEEDED,
    message: string,
    headers: Record<string, string>,
  ) {
    super(code, message);
    this.headers = headers;
  }
}

export class InputBudgetError extends AppError {
  constructor(message: string) {
    super(codes.INPUT_BUDGET_EXCEEDED, message);
  }
}

export function rateLimitHeaders(
  name: LimitName,
  windowSeconds: number,
  hit: WindowHit,
): Record<string, string> {
  return {
    'ratelimit-policy': `"${name}";q=${hit.limit};w=${windowSeconds}`,
    ratelimit: `"${name}";r=${hit.remaining};t=${hit.resetSeconds}`,
  };
}

export interface AbuseLimits {
  /** counts one request against the client's rate for `name`; throws RATE_LIMITED past it */
  rate(clientId: string, name: 'upload' | 'evaluate'): Promise<Record<string, string>>;
  /** counts one new job against the client's daily quota; throws QUOTA_EXCEEDED past it */
  job(clientId: string): Promise<Record<string, string>>;
  /** throws INPUT_BUDGET_EXCEEDED when one job would send more characters than allowed */
  inputBudget(chars: number): void;
  /** the INPUT_BUDGET_EXCEEDED refusal of a job that would send `chars` */
  refuseInput(chars: number): never;
}

export function abuseLimits(db: Database, limits: Config['limits']): AbuseLimits {
  const window = limits.windowSeconds;
  return {
    async rate(clientId, name) {
      const limit = name === 'upload' ? limits.uploads : limits.evaluations;
      if (limit === 0) return {};
      const hit = await hitWindow(db, clientId, name, window, limit);
      const headers = rateLimitHeaders(name, window, hit);
      if (!hit.allowed) {
        throw new LimitExceededError(
          codes.RATE_LIMITED,
          `at most ${limit} ${name} requests per ${window} s; retry in ${hit.resetSeconds} s`,
          { ...headers, 'retry-after': String(hit.resetSeconds) },
        );
      }
      return headers;
    },
    async job(clientId) {
      if (limits.jobsPerDay === 0) return {};
      const hit = await hitWindow(db, clientId, 'jobs-day', 86_400, limits.jobsPerDay);
      const headers = rateLimitHeaders('jobs-day', 86_400, hit);
      if (!hit.allowed) {
        throw new LimitExceededError(
          codes.QUOTA_EXCEEDED,
          `the daily quota of ${limits.jobsPerDay} jobs is used up; it resets at 00:00 UTC (in ${hit.resetSeconds} s)`,
          { ...headers, 'retry-after': String(hit.resetSeconds) },
        );
      }
      return headers;
    },
    inputBudget(chars) {
      if (chars > limits.jobInputMaxChars) this.refuseInput(chars);
    },
    refuseInput(chars): never {
      throw new InputBudgetError(
        `the documents and texts of this job hold ${chars} characters; at most ${limits.jobInputMaxChars} are accepted per job`,
      );
    },
  };
}
