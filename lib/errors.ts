// The one catalog of error codes, and the error types that carry them. A code is stable: clients branch
// on it (problem+json `code`), stored failed jobs keep it, DLQ headers carry it. Each code says which
// HTTP status answers it and whether trying the same thing again later can succeed.
//
// `api: true` marks the codes an HTTP route can answer; the problem schema's `code` enum is built from
// exactly those, so /openapi.json lists every one of them. This module imports nothing, so every layer
// (lib/api, lib/jobs, lib/evaluation) may import it.

interface CatalogEntry {
  /** the HTTP status a problem with this code is answered with */
  readonly status: number;
  /** trying the same request (or record) again later can succeed */
  readonly retriable: boolean;
  /** an HTTP route can answer it (listed in the OpenAPI document) */
  readonly api: boolean;
}

export const errorCatalog = {
  // Requests the API refuses.
  ROUTE_NOT_FOUND: { status: 404, retriable: false, api: true },
  UNAUTHENTICATED: { status: 401, retriable: false, api: true },
  INVALID_API_KEY: { status: 401, retriable: false, api: true },
  UNSUPPORTED_CONTENT_TYPE: { status: 415, retriable: false, api: true },
  BAD_REQUEST: { status: 400, retriable: false, api: true },
  MALFORMED_JSON: { status: 400, retriable: false, api: true },
  MALFORMED_MULTIPART: { status: 400, retriable: false, api: true },
  PAYLOAD_TOO_LARGE: { status: 413, retriable: false, api: true },
  HEADERS_TOO_LARGE: { status: 431, retriable: false, api: true },
  VALIDATION_FAILED: { status: 422, retriable: false, api: true },
  IDEMPOTENCY_KEY_MISSING: { status: 400, retriable: false, api: true },
  IDEMPOTENCY_KEY_REUSED: { status: 422, retriable: false, api: true },
  IDEMPOTENCY_KEY_IN_FLIGHT: { status: 409, retriable: true, api: true },
  QUEUE_UNAVAILABLE: { status: 503, retriable: true, api: true },
  DATABASE_UNAVAILABLE: { status: 503, retriable: true, api: true },
  UPLOAD_NOT_FOUND: { status: 404, retriable: false, api: true },
  WRONG_UPLOAD_KIND: { status: 422, retriable: false, api: true },
  JOB_NOT_FOUND: { status: 404, retriable: false, api: true },
  INVALID_CURSOR: { status: 400, retriable: false, api: true },
  INTERNAL_ERROR: { status: 500, retriable: true, api: true },

  // Uploads: the multipart form, then the documents themselves (lib/evaluation/extract.ts).
  MISSING_FILE: { status: 422, retriable: false, api: true },
  DUPLICATE_FILE: { status: 422, retriable: false, api: true },
  UNEXPECTED_FIELD: { status: 422, retriable: false, api: true },
  FILE_TOO_LARGE: { status: 413, retriable: false, api: true },
  EMPTY_FILE: { status: 422, retriable: false, api: true },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retriable: false, api: true },
  CORRUPT_FILE: { status: 422, retriable: false, api: true },
  ENCRYPTED_FILE: { status: 422, retriable: false, api: true },
  NO_TEXT: { status: 422, retriable: false, api: true },
  ZIP_BOMB: { status: 422, retriable: false, api: true },
  TOO_MANY_PAGES: { status: 422, retriable: false, api: true },
  EXTRACTION_TIMEOUT: { status: 422, retriable: false, api: true },
  // Issue 13: the extraction sandbox and the text rules.
  DECOMPRESSION_BOMB: { status: 422, retriable: false, api: true },
  DOCUMENT_TOO_COMPLEX: { status: 422, retriable: false, api: true },
  TEXT_TOO_LONG: { status: 422, retriable: false, api: true },
  TEXT_CONTAINS_NUL: { status: 422, retriable: false, api: true },
  TEXT_NOT_DECODABLE: { status: 422, retriable: false, api: true },
  EXTRACTION_BUSY: { status: 503, retriable: true, api: true },
  // A bulk upload's file left unread: the request's time for reading files ran out before its turn.
  BULK_READ_BUDGET_EXCEEDED: { status: 503, retriable: true, api: true },

  // Issue 13: abuse limits and erasure.
  RATE_LIMITED: { status: 429, retriable: true, api: true },
  QUOTA_EXCEEDED: { status: 429, retriable: true, api: true },
  INPUT_BUDGET_EXCEEDED: { status: 422, retriable: false, api: true },
  IDEMPOTENCY_KEY_INVALID: { status: 400, retriable: false, api: true },

  // Evaluation inputs: a scoring_rubric that cannot be parsed into parameters and weights, and a job
  // description (or brief) naming too few concrete requirements to screen against.
  INVALID_RUBRIC: { status: 422, retriable: false, api: true },
  CANNOT_SCREEN: { status: 422, retriable: false, api: true },

  // Positions, batches and webhooks.
  POSITION_NOT_FOUND: { status: 404, retriable: false, api: true },
  POSITION_ARCHIVED: { status: 409, retriable: false, api: true },
  POSITION_VERSION_MISMATCH: { status: 412, retriable: false, api: true },
  BATCH_REFUSED: { status: 422, retriable: false, api: true },
  WEBHOOK_NOT_FOUND: { status: 404, retriable: false, api: true },
  DELIVERY_NOT_FOUND: { status: 404, retriable: false, api: true },
  WEBHOOK_DISABLED: { status: 409, retriable: false, api: true },
  WEBHOOK_URL_REFUSED: { status: 422, retriable: false, api: true },
  // The webhook URL's name could not be resolved just now (DNS timeout, SERVFAIL): not the URL's fault.
  WEBHOOK_DNS_UNAVAILABLE: { status: 503, retriable: true, api: true },
  // A delivery attempt refused by the SSRF guard: the delivery fails without further attempts (the same
  // answer would refuse them); a redelivery by hand can succeed once the name resolves elsewhere.
  WEBHOOK_DESTINATION_FORBIDDEN: { status: 422, retriable: false, api: false },

  // Why a job failed (a result's error.code) or why its record went to the DLQ.
  PROVIDER_TIMEOUT: { status: 504, retriable: true, api: false },
  PROVIDER_UNAVAILABLE: { status: 503, retriable: true, api: false },
  // A wrong key or model: retrying after the configuration is fixed can succeed.
  PROVIDER_REJECTED: { status: 502, retriable: true, api: false },
  INVALID_PROVIDER_ANSWER: { status: 502, retriable: false, api: false },
  EVALUATION_FAILED: { status: 500, retriable: true, api: false },
  MALFORMED_RECORD: { status: 422, retriable: false, api: false },
  UNKNOWN_JOB: { status: 404, retriable: false, api: false },
  // The engine's own DLQ code for a handler that threw without naming one (lib/kafka stays generic and
  // spells it itself).
  HANDLER_FAILED: { status: 500, retriable: false, api: false },
  // The engine's DLQ code for a record whose own output is larger than the broker accepts on its topic
  // (max.message.bytes); spelled in lib/kafka/transaction-size.ts.
  OUTPUT_TOO_LARGE: { status: 413, retriable: false, api: false },

  // Start-up.
  CONFIG_INVALID: { status: 500, retriable: false, api: false },
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof errorCatalog;
export type ApiErrorCode = {
  [K in ErrorCode]: (typeof errorCatalog)[K]['api'] extends true ? K : never;
}[ErrorCode];

/** `codes.JOB_NOT_FOUND === 'JOB_NOT_FOUND'`: name a code through the catalog, never as a loose string. */
export const codes = Object.fromEntries(Object.keys(errorCatalog).map((k) => [k, k])) as {
  readonly [K in ErrorCode]: K;
};

export const errorCodes = Object.keys(errorCatalog) as [ErrorCode, ...ErrorCode[]];
export const apiErrorCodes = errorCodes.filter((c) => errorCatalog[c].api) as [
  ApiErrorCode,
  ...ApiErrorCode[],
];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCatalog, value);
}

export class AppError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
  get status(): number {
    return errorCatalog[this.code].status;
  }
  get retriable(): boolean {
    return errorCatalog[this.code].retriable;
  }
}

/** A bad environment value: start-up must stop with a message naming the variable. */
export class ConfigError extends AppError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(codes.CONFIG_INVALID, `Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/**
 * A transient failure with a hint of when to try again (inngest-js' RetryAfterError): the evaluator
 * aborts and the record is retried later, honouring `retryAfterMs` when given.
 */
export class RetriableError extends AppError {
  readonly retryAfterMs: number | undefined;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(code, message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
