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
