// The console acts through the same HTTP API as any client, in-process: uploads, evaluations and job
// listings go through the API's routes, so validation, refusals, idempotency, quotas and tenant
// isolation are the API's own. (Positions and erasure call the tenant-scoped lib functions those routes
// call: lib/console/positions.ts, lib/console/erasure.ts.)
// The caller's identity travels in the request's env under a Symbol, which no HTTP request can carry.

const consoleClient = Symbol('console client');

export type ApiCall = (path: string, init: RequestInit, clientId: string) => Promise<Response>;

/** The environment an in-process console call runs under. */
export const consoleEnv = (clientId: string) => ({ [consoleClient]: clientId });

/** The client a console call acts for, or undefined for a request from the network. */
export function consoleClientOf(env: unknown): string | undefined {
  if (typeof env !== 'object' || env === null) return undefined;
  const id = (env as Record<symbol, unknown>)[consoleClient];
  return typeof id === 'string' ? id : undefined;
}

export interface ApiProblem {
  status: number;
  code: string;
  detail: string;
}

export async function readProblem(res: Response): Promise<ApiProblem> {
  const body = (await res.json().catch(() => ({}))) as Partial<ApiProblem>;
  return {
    status: res.status,
    code: body.code ?? `HTTP_${res.status}`,
    detail: body.detail ?? res.statusText,
  };
}

// Refusals in plain words for people, not programs. Unknown codes fall back to the API's own detail,
// which is already a sentence.
const PLAIN: Record<string, string> = {
  FILE_TOO_LARGE: 'The file is too large.',
  PAYLOAD_TOO_LARGE: 'The files are too large to send together.',
  UNSUPPORTED_MEDIA_TYPE: 'This is not a PDF, Word (.docx) or plain-text document.',
  EMPTY_FILE: 'The file is empty.',
  NO_TEXT: 'No text could be read from this document (is it a scanned image?).',
  ENCRYPTED_FILE: 'The PDF is password-protected; upload an unprotected copy.',
  CORRUPT_FILE: 'The file is damaged and cannot be read.',
  ZIP_BOMB: 'The Word document expands to an unreasonable size and was refused.',
  TOO_MANY_PAGES: 'The document has too many pages.',
  EXTRACTION_TIMEOUT: 'Reading the document took too long; it was refused.',
  MISSING_FILE: 'Both a CV and a project report are needed.',
  UPLOAD_NOT_FOUND: 'That upload no longer exists.',
  QUEUE_UNAVAILABLE: 'The evaluation queue is unavailable right now; try again in a moment.',
  RATE_LIMITED: 'Too many requests; wait a moment and try again.',
};

export function plainWords(p: ApiProblem): string {
  const plain = PLAIN[p.code];
  if (!plain) return p.detail.charAt(0).toUpperCase() + p.detail.slice(1);
  // the API's detail names the field ("cv: …"): keep which file it was about
  const field = /^(cv|project):/.exec(p.detail)?.[1];
  return field ? `${field === 'cv' ? 'CV' : 'Project report'}: ${plain}` : plain;
}
