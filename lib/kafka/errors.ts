// How the engine classifies kafkajs errors. kafkajs' error table stops before PRODUCER_FENCED (90), and
// brokers answer its old request versions with INVALID_PRODUCER_EPOCH instead: both mean "fenced".

const FENCED_TYPES = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);

interface KafkaLikeError {
  type?: string;
  message?: string;
  cause?: unknown;
  originalError?: unknown;
}

function chain(err: unknown): KafkaLikeError[] {
  const out: KafkaLikeError[] = [];
  let current: unknown = err;
  for (let depth = 0; current && typeof current === 'object' && depth < 8; depth++) {
    const e = current as KafkaLikeError;
    out.push(e);
    current = e.cause ?? e.originalError;
  }
  return out;
}

/** Another producer with the same transactional id has initialised: this one may never write again. */
export function isFencedError(err: unknown): boolean {
  return chain(err).some(
    (e) =>
      (e.type !== undefined && FENCED_TYPES.has(e.type)) || /Unknown error code 90\b/.test(e.message ?? ''),
  );
}

/** Thrown by a handler to name the record that failed, so the engine retries and DLQs exactly that one. */
export class RecordError extends Error {
  readonly offset: string;
  readonly retriable: boolean;
  readonly code: string;
  constructor(
    offset: string,
    code: string,
    message: string,
    options: { cause?: unknown; retriable?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'RecordError';
    this.offset = offset;
    this.code = code;
    this.retriable = options.retriable ?? true;
  }
}

/**
 * Thrown by a handler when something it depends on (a database, …) is unavailable: nothing is wrong
 * with the records. The engine commits nothing, keeps the offset, backs off and tries the same records
 * again; it never sends them to the DLQ for it.
 */
export class DependencyUnavailableError extends Error {
  readonly dependency: string;
  readonly code = 'DEPENDENCY_UNAVAILABLE';
  constructor(dependency: string, options: { cause?: unknown } = {}) {
    super(`${dependency} is unavailable`, { cause: options.cause });
    this.name = 'DependencyUnavailableError';
    this.dependency = dependency;
  }
}

export function isDependencyUnavailable(err: unknown): err is DependencyUnavailableError {
  return err instanceof Error && err.name === 'DependencyUnavailableError';
}
