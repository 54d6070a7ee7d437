// npm run verify -- --jobs N --evaluators E --brokers 1|3 --kill-evaluators K --kill-submit S
//                   --bounce-brokers B --pause-evaluators P --db-outages D --add-partitions A
//                   --delete-offsets O --oversize-results 0|1 --twin-submits T --seed X
//                   [--no-webhooks | --notifiers M --kill-notifiers K --receiver-outages R
//                    --receiver-outage-ms MS --receiver-429s Q --receiver-gone 0|1
//                    --webhook-control wrong-secret|lose-deliveries|reenable-gone]
//                   [--unsafe at-least-once|read-then-fence] [--expect-violations]
//                   [--soak N [--cpu-pressure K]]
// Exits non-zero on any violation (or, with --expect-violations, on none: the negative control).
// --soak N runs seeds X … X+N−1 back to back (each in its own process, on one stack) and stops at the
// first failing seed, printing it; --cpu-pressure K keeps K busy processes running meanwhile.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { observeStack, readState, stackDown, stackUp } from '../infra/native/stack.ts';
import { decideUp } from '../infra/native/stack-guard.ts';
import { type WebhookControl, webhookControls } from '../test/verifier/options.ts';
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
    'db-outages': { type: 'string', default: '0' },
    'db-outage-ms': { type: 'string', default: '4000' },
    'add-partitions': { type: 'string', default: '0' },
    'delete-offsets': { type: 'string', default: '0' },
    'oversize-results': { type: 'string', default: '0' },
    'twin-submits': { type: 'string', default: '0' },
    poison: { type: 'string', default: '5' },
    doomed: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    unsafe: { type: 'string' },
    concurrency: { type: 'string', default: '24' },
    provider: { type: 'string', default: 'metered' },
    'provider-delay-ms': { type: 'string', default: '20' },
    // the older name of --provider-delay-ms
    'offline-delay-ms': { type: 'string' },
    'drain-timeout-s': { type: 'string', default: '300' },
    'expect-violations': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    soak: { type: 'string', default: '0' },
    'cpu-pressure': { type: 'string', default: '0' },
    webhooks: { type: 'boolean', default: true },
    notifiers: { type: 'string', default: '2' },
    'kill-notifiers': { type: 'string', default: '1' },
    'receiver-outages': { type: 'string', default: '1' },
    'receiver-outage-ms': { type: 'string', default: '3000' },
    'receiver-429s': { type: 'string', default: '1' },
    'receiver-gone': { type: 'string', default: '1' },
    'webhook-control': { type: 'string' },
  },
  allowNegative: true,
});
const control = values['webhook-control'];
if (control !== undefined && !webhookControls.includes(control as WebhookControl)) {
  process.stderr.write(`--webhook-control must be one of ${webhookControls.join(', ')}\n`);
  process.exit(2);
}
if (control !== undefined && !values.webhooks) {
  process.stderr.write('--webhook-control needs the webhooks (drop --no-webhooks)\n');
  process.exit(2);
}
if (values.unsafe && values.unsafe !== 'at-least-once' && values.unsafe !== 'read-then-fence') {
  process.stderr.write('--unsafe must be at-least-once or read-then-fence\n');
  process.exit(2);
}
const brokers = Number(values.brokers);
if (brokers !== 1 && brokers !== 3) {
  process.stderr.write('--brokers must be 1 or 3\n');
  process.exit(2);
}
if (values.provider !== 'metered' && values.provider !== 'offline') {
  process.stderr.write('--provider must be metered or offline\n');
  process.exit(2);
}

if (Number(values.soak) > 0) process.exit(await soak(Number(values.soak), Number(values['cpu-pressure'])));

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
  dbOutages: Number(values['db-outages']),
  dbOutageMs: Number(values['db-outage-ms']),
  addPartitions: Number(values['add-partitions']),
  deleteOffsets: Number(values['delete-offsets']),
  oversizeResults: Number(values['oversize-results']),
  twinSubmits: Number(values['twin-submits']),
  poison: Number(values.poison),
  doomed: Number(values.doomed),
  seed: Number(values.seed),
  unsafe: values.unsafe as 'at-least-once' | 'read-then-fence' | undefined,
  concurrency: Number(values.concurrency),
  provider: values.provider,
  providerDelayMs: Number(values['offline-delay-ms'] ?? values['provider-delay-ms']),
  drainTimeoutMs: Number(values['drain-timeout-s']) * 1000,
  keep: values.keep,
  webhooks: values.webhooks,
  notifiers: Number(values.notifiers),
  killNotifiers: Number(values['kill-notifiers']),
  receiverOutages: Number(values['receiver-outages']),
  receiverOutageMs: Number(values['receiver-outage-ms']),
  receiver429s: Number(values['receiver-429s']),
  receiverGone: Number(values['receiver-gone']),
  webhookControl: control as WebhookControl | undefined,
});
const line = (k: string, v: unknown) =>
  process.stdout.write(`  ${k.padEnd(28)} ${typeof v === 'object' ? JSON.stringify(v) : v}\n`);
process.stdout.write(`\nverifier report (${report.mode})\n`);
for (const [k, v] of Object.entries(report)) if (k !== 'examples') line(k, v);
for (const v of violations.slice(0, 10))
  process.stdout.write(`  VIOLATION ${v.guarantee} ${v.kind} ${v.id}${v.detail ? ` (${v.detail})` : ''}\n`);
const expectViolations = values['expect-violations'];
// Each control asked for must be caught by its own checks: --unsafe by G1–G6, --webhook-control by G7.
const g7 = violations.filter((v) => v.guarantee === 'G7').length;
const detected =
  (values.unsafe ? violations.length - g7 > 0 : true) && (control ? g7 > 0 : true) && violations.length > 0;
const ok = report.sane && (expectViolations ? detected : violations.length === 0);
const modeName = `${report.mode}${control ? ` + webhook control ${control}` : ''}`;
if (!report.sane)
  process.stdout.write(
    '\nINSUFFICIENT RUN: fewer than 95% of the jobs were accepted or faults were skipped\n',
  );
process.stdout.write(
  expectViolations
    ? ok
      ? `\nnegative control DETECTED: ${violations.length} violations (${g7} of G7) in ${modeName} mode, as it must be\n`
      : `\nnegative control NOT detected: ${modeName} mode gave ${violations.length} violations (${g7} of G7) — the verifier is too weak\n`
    : ok
      ? `\nno violation: ${values.webhooks ? 'G1–G7' : 'G1–G6'} hold\n`
      : `\n${violations.length} VIOLATIONS\n`,
);
process.stdout.write(`${JSON.stringify({ ...report, passed: ok })}\n`);
process.exit(ok ? 0 : 1);

/** Seeds back to back, each a child `verify` on one shared stack; stops at the first failure. */
async function soak(seeds: number, cpuPressure: number): Promise<number> {
  const first = Number(values.seed);
  const args = process.argv.slice(2).filter((a, i, all) => {
    const prev = all[i - 1];
    return (
      !['--soak', '--cpu-pressure', '--seed'].includes(a) &&
      !['--soak', '--cpu-pressure', '--seed'].includes(prev ?? '')
    );
  });
  const seen = await observeStack(readState(), brokers);
  const startHere = decideUp(seen, { mode: 'native', brokers }).action !== 'reuse';
  if (startHere) await stackUp({ brokers, mode: 'native' });
  const burners = Array.from({ length: cpuPressure }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
  type SeedResult = {
    passed: boolean;
    violations: number;
    durationS: number;
    providerCallsPerCompletedJob?: number | string;
    crashes?: Record<string, number>;
  };
  const results: ({ seed: number } & SeedResult)[] = [];
  let failedSeed: number | undefined;
  try {
    for (let seed = first; seed < first + seeds; seed++) {
      process.stderr.write(
        `\n[soak] seed ${seed} (${seed - first + 1}/${seeds}), cpu pressure ${cpuPressure}\n`,
      );
      const last = await new Promise<string>((resolve) => {
        const child = spawn(process.execPath, [process.argv[1]!, ...args, '--seed', String(seed)], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          process.stdout.write(c);
        });
        child.on('exit', () => resolve(out.trim().split('\n').at(-1) ?? ''));
      });
      const r = (() => {
        try {
          return JSON.parse(last) as SeedResult;
        } catch {
          return { passed: false, violations: Number.NaN, durationS: Number.NaN };
        }
      })();
      const { passed, violations, durationS, providerCallsPerCompletedJob, crashes } = r;
      results.push({ seed, passed, violations, durationS, providerCallsPerCompletedJob, crashes });
      if (!r.passed) {
        failedSeed = seed;
        break;
      }
    }
  } finally {
    for (const b of burners) b.kill('SIGKILL');
    if (startHere) await stackDown();
  }
  process.stdout.write(
    failedSeed === undefined
      ? `\nsoak: ${results.length} seeds passed (${first}–${first + seeds - 1})\n`
      : `\nsoak: seed ${failedSeed} FAILED after ${results.length - 1} passing seed(s); rerun it with --seed ${failedSeed}\n`,
  );
  process.stdout.write(
    `${JSON.stringify({ soak: results.length, cpuPressure, failedSeed: failedSeed ?? null, seeds: results, passed: failedSeed === undefined })}\n`,
  );
  return failedSeed === undefined ? 0 : 1;
}
