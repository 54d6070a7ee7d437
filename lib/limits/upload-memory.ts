// How many upload bytes one submit instance holds at once. An upload's files are read into memory whole
// (they are parsed from memory, in the extraction sandbox), so without a bound the memory in use grows
// with the uploads in flight: 64 clients sending 20 MB forms at once would hold 1.3 GB. Each upload
// reserves its declared length (its route's limit when it declares none) before its body is read, and
// gives it back when its answer is ready; one that does not fit is refused at once with 503 and
// Retry-After, its body unread. An upload larger than the whole budget is admitted when it is alone.
import type { MiddlewareHandler } from 'hono';
import { SandboxBusyError } from '../extraction/sandbox.ts';

export class UploadMemory {
  private used = 0;
  readonly capacityBytes: number;
  constructor(capacityBytes: number) {
    this.capacityBytes = capacityBytes;
  }

  /** Reserves `bytes`; the release, or undefined when they do not fit beside what is held. */
  take(bytes: number): (() => void) | undefined {
    if (this.used > 0 && this.used + bytes > this.capacityBytes) return undefined;
    this.used += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= bytes;
    };
  }

  get usedBytes(): number {
    return this.used;
  }

  /** A route's admission: the declared length, or `maxBytes` for a body without one. */
  admit(maxBytes: number): MiddlewareHandler {
    return async (c, next) => {
      const declared = Number.parseInt(c.req.header('content-length') ?? '', 10);
      const chunked = c.req.header('transfer-encoding') !== undefined || !Number.isFinite(declared);
      const release = this.take(chunked ? maxBytes : Math.min(declared, maxBytes));
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
