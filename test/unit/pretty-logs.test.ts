// Logs on a terminal are readable lines; anything that is not a pino JSON line passes through untouched.
import { describe, expect, it } from 'vitest';
import { prettyLine } from '../../lib/telemetry/pretty.ts';

describe('pretty log lines', () => {
  it('time, level, message, then the fields that matter', () => {
    const line = JSON.stringify({
      level: 40,
      time: '2026-11-27T16:20:40.581Z',
      pid: 1,
      name: 'submit',
      msg: 'publish failed',
      job_id: 'j-1',
      err: 'broker down',
    });
    expect(prettyLine(line)).toBe('16:20:40.581 WARN  publish failed job_id=j-1 err="broker down"');
  });

  it('keeps non-JSON output (a stack trace, a child process) as it came', () => {
    expect(prettyLine('    at main (index.ts:1:1)')).toBe('    at main (index.ts:1:1)');
    expect(prettyLine('{"not":"a log line"}')).toBe('{"not":"a log line"}');
  });

  it('an error line carries its stack', () => {
    const line = JSON.stringify({
      level: 50,
      time: 't'.repeat(24),
      msg: 'boom',
      err: { stack: 'Error: x\n  at y' },
    });
    expect(prettyLine(line)).toContain('ERROR boom');
    expect(prettyLine(line)).toContain('\nError: x\n  at y');
  });
});
