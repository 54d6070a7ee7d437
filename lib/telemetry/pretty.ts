// Human-readable log lines for a terminal. Services write pino's JSON (one object a line) whenever
// their output is not a terminal — files, pipes, log collectors; on a terminal, and in `npm start`'s
// combined view, each JSON line is shown as `12:00:01.234 INFO  submit  message  key=value …`.
import { styleText } from 'node:util';

const LEVELS: Record<number, { label: string; color: Parameters<typeof styleText>[0] }> = {
  10: { label: 'TRACE', color: 'gray' },
  20: { label: 'DEBUG', color: 'gray' },
  30: { label: 'INFO ', color: 'green' },
  40: { label: 'WARN ', color: 'yellow' },
  50: { label: 'ERROR', color: 'red' },
  60: { label: 'FATAL', color: ['bgRed', 'white'] },
};

/** fields every line has, or that only matter to machines */
const HIDDEN = new Set(['level', 'time', 'msg', 'name', 'pid', 'hostname', 'trace_id', 'span_id', 'v']);

function value(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 240 ? `${text.slice(0, 237)}...` : text;
}

export interface PrettyOptions {
  /** color the level and dim the fields (default: when the stream is a color terminal) */
  color?: boolean;
}

/** One JSON log line as text; a line that is not pino JSON is returned as it came. */
export function prettyLine(line: string, options: PrettyOptions = {}): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (!entry || typeof entry !== 'object' || typeof entry.level !== 'number') return line;
  const style = (format: Parameters<typeof styleText>[0], text: string) =>
    options.color ? styleText(format, text, { validateStream: false }) : text;
  const level = LEVELS[entry.level] ?? { label: String(entry.level).padEnd(5), color: 'white' };
  const time =
    typeof entry.time === 'string' ? entry.time.slice(11, 23) : new Date().toISOString().slice(11, 23);
  const fields = Object.entries(entry)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${value(v)}`)
    .join(' ');
  const err = entry.err as { stack?: string } | undefined;
  const stack = typeof err?.stack === 'string' && entry.level >= 50 ? `\n${style('gray', err.stack)}` : '';
  return [
    style('gray', time),
    style(level.color, level.label),
    typeof entry.msg === 'string' ? entry.msg : '',
    fields ? style('gray', fields) : '',
  ]
    .filter(Boolean)
    .join(' ')
    .concat(stack);
}

/** A pino destination that writes pretty lines to a terminal. */
export function prettyDestination(stream: NodeJS.WriteStream = process.stdout) {
  const color = stream.hasColors?.() ?? false;
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) stream.write(`${prettyLine(line, { color })}\n`);
    },
  };
}
