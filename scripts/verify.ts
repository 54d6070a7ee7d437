// npm run verify -- --jobs N --evaluators E --brokers 1|3 --kill-evaluators K --kill-submit S
//                   --bounce-brokers B --pause-evaluators P --seed X [--unsafe at-least-once|read-then-fence]
//                   [--expect-violations]
// Exits non-zero on any violation (or, with --expect-violations, on none: the negative control).
import { parseArgs } from 'node:util';
import { verify } from '../test/verifier/run.ts';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '2000' },
    evaluators: { type: 'string', default: '3' },
    submits: { type: 'string', default: '2' },
    brokers: { type: 'string', default: '1' },
    'kill-evaluators': { type: 'string', default: '3' },
    'stop-evaluators': { type: 'string', default: '2' },
    'pause-evaluators': { type: 'string', default: '2' },
    'kill-submit': { type: 'string', default: '1' },
    'bounce-brokers': { type: 'string', default: '0' },
    poison: { type: 'string', default: '5' },
    seed: { type: 'string', default: '1' },
    unsafe: { type: 'string' },
    concurrency: { type: 'string', default: '24' },
    'offline-delay-ms': { type: 'string', default: '20' },
    'drain-timeout-s': { type: 'string', default: '300' },
    'expect-violations': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
if (values.unsafe && values.unsafe !== 'at-least-once' && values.unsafe !== 'read-then-fence') {
  process.stderr.write('--unsafe must be at-least-once or read-then-fence\n');
  process.exit(2);
}
const brokers = Number(values.brokers);
if (brokers !== 1 && brokers !== 3) {
  process.stderr.write('--brokers must be 1 or 3\n');
  process.exit(2);
}
const { report, violations } = await verify({
  jobs: Number(values.jobs),
  evaluators: Number(values.evaluators),
  submits: Number(values.submits),
  brokers,
  killEvaluators: Number(values['kill-evaluators']),
  stopEvaluators: Number(values['stop-evaluators']),
  pauseEvaluators: Number(values['pause-evaluators']),
  killSubmit: Number(values['kill-submit']),
  bounceBrokers: Number(values['bounce-brokers']),
  poison: Number(values.poison),
  seed: Number(values.seed),
  unsafe: values.unsafe as 'at-least-once' | 'read-then-fence' | undefined,
  concurrency: Number(values.concurrency),
  offlineDelayMs: Number(values['offline-delay-ms']),
  drainTimeoutMs: Number(values['drain-timeout-s']) * 1000,
  keep: values.keep,
});
const line = (k: string, v: unknown) =>
  process.stdout.write(`  ${k.padEnd(26)} ${typeof v === 'object' ? JSON.stringify(v) : v}\n`);
process.stdout.write(`\nverifier report (${report.mode})\n`);
for (const [k, v] of Object.entries(report)) if (k !== 'examples') line(k, v);
for (const v of violations.slice(0, 10))
  process.stdout.write(`  VIOLATION ${v.guarantee} ${v.kind} ${v.id}${v.detail ? ` (${v.detail})` : ''}\n`);
const expectViolations = values['expect-violations'];
const ok = report.sane && (expectViolations ? violations.length > 0 : violations.length === 0);
if (!report.sane)
  process.stdout.write(
    '\nINSUFFICIENT RUN: fewer than 95% of the jobs were accepted or faults were skipped\n',
  );
process.stdout.write(
  expectViolations
    ? ok
      ? `\nnegative control DETECTED: ${violations.length} violations in ${report.mode} mode, as it must be\n`
      : `\nnegative control NOT detected: ${report.mode} mode produced no violation — the verifier is too weak\n`
    : ok
      ? '\nno violation: G1–G6 hold\n'
      : `\n${violations.length} VIOLATIONS\n`,
);
process.stdout.write(`${JSON.stringify({ ...report, passed: ok })}\n`);
process.exit(ok ? 0 : 1);
