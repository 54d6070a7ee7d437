// One place for the project's error types. Every error carries a stable machine-readable `code`
// (what HTTP problem+json answers and what DLQ headers carry); subclasses say how to react.

export class AppError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A bad environment value: start-up must stop with a message naming the variable. */
export class ConfigError extends AppError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('CONFIG_INVALID', `Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/** Retrying cannot help (malformed record, unknown job): the record goes to the DLQ at once. */
export class NonRetriableError extends AppError {}

/** Transient failure: abort and retry later, honouring `retryAfterMs` when given. */
export class RetriableError extends AppError {
  readonly retryAfterMs: number | undefined;
  constructor(code: string, message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(code, message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** Another instance owns the transactional id now; this instance must stop touching its partition. */
export class FencedError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PRODUCER_FENCED', message, options);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
