// Logs and spans never carry document text or SQL parameters: the error serializer keeps name, code,
// SQL state and stack frames, and drops every message that is not one of ours.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors.ts';
import { createLogger } from '../../lib/telemetry/logger.ts';
import { serializeError } from '../../lib/telemetry/serialize-error.ts';

const CV = 'Jane Doe, 12 Secret Street, jane@example.com';

function pgError() {
  const pg = Object.assign(new Error(`invalid byte sequence for encoding "UTF8": 0x00 in "${CV}"`), {
    name: 'PostgresError',
    code: '22021',
  });
  // drizzle wraps driver errors in a message quoting the query and its parameters
  return new Error(`Failed query: insert into uploads values ($1)\nparams: ${CV}`, { cause: pg });
}

describe('error serializer', () => {
  it('keeps name, code and SQL state; drops library messages', () => {
    const s = serializeError(pgError());
    expect(JSON.stringify(s)).not.toContain('Jane');
    expect(s.cause).toMatchObject({ name: 'PostgresError', code: '22021', sql_state: '22021' });
    expect(s.stack).toBeTypeOf('string');
  });

  it("keeps our own errors' messages", () => {
    expect(serializeError(new AppError('NO_TEXT', 'a plain message'))).toMatchObject({
      code: 'NO_TEXT',
      message: 'a plain message',
    });
  });

  it('is wired into the logger', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createLogger({ level: 'info', destination: sink });
    log.error({ err: pgError() }, 'request failed');
    expect(lines.join('')).toContain('22021');
    expect(lines.join('')).not.toContain('Jane');
  });
});
