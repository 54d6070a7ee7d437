// npm run offsets:restore [-- --dry-run] [--window N] [--wait-s S]
// Puts the evaluate group's committed offsets (KAFKA_EVALUATE_GROUP on KAFKA_TOPIC_JOBS) back after they
// were lost, from the outcomes PostgreSQL stored and the outputs the results and DLQ topics hold
// (lib/jobs/restore-offsets.ts says which offset and why). Prints the plan per partition on stderr and a
// JSON summary on stdout. Kafka accepts an admin's offset commit only for a group without members: stop
// every evaluator first (scale the job to zero). It waits up to --wait-s (30) for the group to empty (a
// killed member stays until its session timeout), then refuses.
// Exit 0: restored (or nothing to do); 1: refused or a partition undecided; 2: usage.
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../lib/config.ts';
import { closeDatabase, createDatabase } from '../lib/db/database.ts';
import { applyRestore, groupActivity, type PartitionPlan, planRestore } from '../lib/jobs/restore-offsets.ts';
import { createKafka } from '../lib/kafka/client.ts';
import { createLogger } from '../lib/telemetry/logger.ts';

const args = (() => {
  try {
    return parseArgs({
      options: {
        'dry-run': { type: 'boolean', default: false },
        window: { type: 'string', default: '5000' },
        'wait-s': { type: 'string', default: '30' },
      },
    }).values;
  } catch (err) {
    process.stderr.write(
      `${(err as Error).message}\nusage: npm run offsets:restore -- [--dry-run] [--window N] [--wait-s S]\n`,
    );
    process.exit(2);
  }
})();
const window = Number(args.window);
const waitS = Number(args['wait-s']);
if (!Number.isInteger(window) || window < 1 || !Number.isFinite(waitS) || waitS < 0) {
  process.stderr.write('--window must be a positive integer and --wait-s a number of seconds\n');
  process.exit(2);
}
const dryRun = args['dry-run'];
const config = loadConfigOrExit();
const logger = createLogger({ level: 'warn', format: config.logFormat, name: 'offsets-restore' });
const say = (line: string) => process.stderr.write(`${line}\n`);
const groupId = config.kafka.evaluateGroup;
const topics = config.kafka.topics;
const kafka = createKafka({
  brokers: config.kafka.brokers,
  clientId: `${config.appName}-offsets-restore`,
  logger,
});
const db = createDatabase(config.database.url, { poolSize: 2 });

let exitCode = 0;
try {
  if (!dryRun) await untilEmpty();
  say(`group ${groupId}, topic ${topics.jobs}${dryRun ? ' (dry run: nothing is committed)' : ''}`);
  const plan = await planRestore({ db, kafka, groupId, topics, window });
  for (const p of plan) say(describe(p));
  const toSet = plan.filter((p) => p.action === 'set');
  const undecided = plan.filter((p) => p.action === 'undecided');
  let restored = 0;
  if (!dryRun && toSet.length > 0) {
    await untilEmpty(); // still: the plan took a while
    restored = await applyRestore({ db, kafka, groupId, topics }, plan);
    say(`restored the committed offsets of ${restored} partition(s)`);
  } else if (toSet.length === 0) {
    say('nothing to restore');
  }
  if (undecided.length > 0) {
    say(`${undecided.length} partition(s) undecided: left as they are`);
    exitCode = 1;
  }
  process.stdout.write(
    `${JSON.stringify({
      group: groupId,
      topic: topics.jobs,
      dryRun,
      restored,
      partitions: plan.map((p) => ({
        partition: p.partition,
        action: p.action,
        committed: p.committed?.toString() ?? null,
        target: p.target?.toString() ?? null,
        storedUpTo: p.storedUpTo?.toString() ?? null,
        lastOutput: p.lastOutput?.toString() ?? null,
        recorded: p.recorded?.toString() ?? null,
        replays: p.replays,
      })),
    })}\n`,
  );
} catch (err) {
  say(`offsets:restore failed: ${(err as Error).message}`);
  exitCode = 1;
} finally {
  await closeDatabase(db).catch(() => {});
}
process.exit(exitCode);

async function untilEmpty(): Promise<void> {
  const deadline = Date.now() + waitS * 1000;
  for (let said = false; ; said = true) {
    const g = await groupActivity(kafka, groupId);
    if (g.empty) return;
    if (Date.now() >= deadline) refuse(g);
    if (!said)
      say(
        `group ${groupId} is ${g.state} with ${g.members} member(s): waiting up to ${waitS} s for it to empty`,
      );
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function refuse(g: { state: string; members: number }): never {
  throw new Error(
    `group ${groupId} is ${g.state} with ${g.members} member(s): Kafka accepts offset commits from an ` +
      'admin only for an empty group. Stop every evaluate invocation (scale the job or scheduler to ' +
      'zero), wait for the group to be Empty, then run this again. --dry-run shows the plan meanwhile.',
  );
}

function describe(p: PartitionPlan): string {
  const committed = p.committed === null ? 'none' : p.committed.toString();
  const facts =
    `stored up to ${p.storedUpTo ?? '-'}, last committed output ${p.lastOutput ?? '-'}, ` +
    `recorded committed ${p.recorded ?? '-'}`;
  const verdict =
    p.action === 'set'
      ? `SET ${p.target}`
      : p.action === 'keep'
        ? 'keep'
        : p.action === 'undecided'
          ? 'UNDECIDED'
          : 'nothing stored';
  return `  partition ${p.partition}: committed ${committed} → ${verdict}  (${facts}; ${p.note})`;
}
