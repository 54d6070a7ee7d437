// How many upload bytes one submit instance holds at once. An upload's files are read into memory whole
// (they are parsed from memory, in the extraction sandbox), so without a bound the memory in use grows
// with the uploads in flight: 64 clients sending 20 MB forms at once would hold 1.3 GB. Each upload
// reserves its declared length (its route's limit when it declares none) before its body is read, and
// gives it back when its answer is ready; one that does not fit is refused at once with 503 and
// Retry-After, its body unread. An upload larger than the whole budget is admitted when it is alone.
//
// One client may hold at most half of it (beyond its first upload, admitted whatever its size): a
// reservation lasts as long as its body takes to arrive, so a client trickling a few large bodies a byte
// at a time would otherwise hold the whole budget, and every other client's uploads would be refused
// for as long as it kept them open (an outside audit: three 16 MB bodies held 48 MB for minutes).
import type { MiddlewareHandler } from 'hono';
import { SandboxBusyError } from '../extraction/sandbox.ts';

/** the share of the budget one client's uploads may hold together */
export const CLIENT_SHARE = 0.5;

export class UploadMemory {
  private used = 0;
  private readonly byClient = new Map<string, number>();
  readonly capacityBytes: number;
  constructor(capacityBytes: number) {
    this.capacityBytes = capacityBytes;
  }

  /**
   * Reserves `bytes` for `client`; the release, or undefined when they do not fit beside what is held,
   * or beside what this client holds already.
   */
  take(bytes: number, client = ''): (() => void) | undefined {
    if (this.used > 0 && this.used + bytes > this.capacityBytes) return undefined;
    const mine = this.byClient.get(client) ?? 0;
    if (mine > 0 && mine + bytes > this.capacityBytes * CLIENT_SHARE) return undefined;
    this.used += bytes;
    this.byClient.set(client, mine + bytes);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= bytes;
      const left = (this.byClient.get(client) ?? bytes) - bytes;
      if (left > 0) this.byClient.set(client, left);
      else this.byClient.delete(client);
    };
  }

  get usedBytes(): number {
    return this.used;
  }

  /** A route's admission: the declared length, or `maxBytes` for a body without one. */
  admit(maxBytes: number): MiddlewareHandler<{ Variables: { clientId: string } }> {
    return async (c, next) => {
      const declared = Number.parseInt(c.req.header('content-length') ?? '', 10);
      const chunked = c.req.header('transfer-encoding') !== undefined || !Number.isFinite(declared);
      // set by the authentication in front of every upload route ('' where a test mounts it bare)
      const client = c.get('clientId') ?? '';
      const release = this.take(chunked ? maxBytes : Math.min(declared, maxBytes), client);
      // the same refusal as a full extraction queue: the instance cannot take this file now
      if (!release)
        throw new SandboxBusyError(
          'this instance is reading as many uploads as its memory allows; try again shortly',
        );
      try {
        await next();
      } finally {
        release();
      }
    };
  }
}
