// Stage 3: the faults. Each kind is injected the way production meets it: processes killed, stopped or
// frozen (zombies), brokers hard-bounced, PostgreSQL cut off, the jobs topic repartitioned, the group's
// committed offsets deleted, a results topic whose batches no longer fit, two processes with one
// instance id, and the webhook receiver's outage, 429 burst and 410 (webhook-stage.ts).

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { restartBroker } from '../../infra/native/stack.ts';
import type { Database } from '../../lib/db/database.ts';
import type { ResultRow } from '../../lib/db/effects.ts';
import { resultEvent } from '../../lib/records/result-event.ts';
import { log, retrying, sleep, type VerifyOptions } from './options.ts';
import type { Fleet } from './processes.ts';
import type { Fault } from './schedule.ts';
import type { RunStack } from './stack.ts';
import type { WebhookStage } from './webhook-stage.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface AppliedFault {
  kind: string;
  target: number;
  at: string;
}

export class FaultInjector {
  readonly applied: AppliedFault[] = [];
  /** what the faults changed, for the report */
  readonly notes: Record<string, unknown> = {};
  private bounces: Promise<void> = Promise.resolve();
  private offsetDeletions: Promise<void> = Promise.resolve();

  private o: VerifyOptions;
  private rs: RunStack;
  private fleet: Fleet;
  private db: Database;
  private webhooks?: WebhookStage;

  constructor(o: VerifyOptions, rs: RunStack, fleet: Fleet, db: Database, webhooks?: WebhookStage) {
    this.o = o;
    this.rs = rs;
    this.fleet = fleet;
    this.db = db;
    this.webhooks = webhooks;
  }

  async apply(f: Fault): Promise<void> {
    this.applied.push({ kind: f.kind, target: f.target, at: `${Math.round(f.at * 100)}%` });
    const e = this.fleet.evaluators[f.target % this.fleet.evaluators.length]!;
    switch (f.kind) {
      case 'kill-evaluator':
        log(`SIGKILL ${e.name}`);
        e.child?.kill('SIGKILL');
        return;
      case 'stop-evaluator':
        log(`SIGTERM ${e.name}`);
        e.child?.kill('SIGTERM');
        return;
      case 'pause-evaluator':
        return this.zombie(e, f.resumeDelayMs);
      case 'kill-submit': {
        const s = this.fleet.submits[f.target % this.o.submits]!;
        log(`SIGKILL ${s.name}`);
        s.child?.kill('SIGKILL');
        return;
      }
      case 'bounce-broker': {
        // One broker at a time: the next bounce waits until the previous broker is back and serving.
        const id = (f.target % this.o.brokers) + 1;
        this.bounces = this.bounces.then(async () => {
          log(`hard bounce of broker ${id}`);
          await restartBroker(id, true).catch((err) => log(`broker bounce failed: ${err.message}`));
        });
        return this.bounces;
      }
      case 'db-outage':
        log(`PostgreSQL cut off for ${this.o.dbOutageMs} ms (every connection through the proxy)`);
        await this.rs.proxy.cut(this.o.dbOutageMs);
        log('PostgreSQL reachable again');
        return;
      case 'add-partitions':
        return this.addPartitions();
      case 'delete-offsets':
        this.offsetDeletions = this.offsetDeletions.then(() => this.deleteOffsets());
        return this.offsetDeletions;
      case 'oversize-results':
        return this.oversizeResults();
      case 'kill-notify': {
        const n = this.fleet.notifiers[f.target % Math.max(1, this.fleet.notifiers.length)];
        log(`SIGKILL ${n?.name ?? 'notify (none running)'}`);
        n?.child?.kill('SIGKILL');
        return;
      }
      case 'receiver-outage':
        await this.webhooks?.whenHeard(f.at);
        return this.webhooks?.outage();
      case 'receiver-429':
        await this.webhooks?.whenHeard(f.at);
        return this.webhooks?.tooMany();
      case 'receiver-gone':
        await this.webhooks?.whenHeard(f.at);
        return this.webhooks?.gone(this.db);
      case 'twin-submit': {
        const target = this.fleet.submits[f.target % this.o.submits]!;
        log(`starting a second submit with ${target.name}'s instance id ${target.instanceId}`);
        await this.fleet.startTwin(target);
        return;
      }
    }
  }

  private async zombie(e: Fleet['evaluators'][number], resumeDelayMs: number): Promise<void> {
    const child = e.child;
    if (!child) return;
    // Freeze it mid-work: right when it starts handling a batch (or after 10 s, whatever it does).
    await Promise.race([this.fleet.busy(child), sleep(10_000)]);
    // Half-way through its work (three provider steps), so that once resumed it commits quickly.
    await sleep(Math.round(1.5 * this.o.providerDelayMs));
    if (child.exitCode !== null) return;
    // A zombie: frozen until the group has moved its partitions to others, then resumed just as the
    // new owners start on them — the moment a wrong protocol lets its late commit through.
    log(`SIGSTOP ${e.name} (zombie)`);
    child.kill('SIGSTOP');
    const joined = this.fleet.nextJoin();
    await Promise.race([sleep(6500).then(() => joined), sleep(20_000)]);
    await sleep(Math.round(resumeDelayMs / 2));
    log(`SIGCONT ${e.name}`);
    child.kill('SIGCONT');
  }

  private async withAdmin<T>(
    what: string,
    fn: (admin: ReturnType<RunStack['kafka']['admin']>) => Promise<T>,
  ) {
    return retrying(what, async () => {
      const admin = this.rs.kafka.admin();
      await admin.connect();
      try {
        return await fn(admin);
      } finally {
        await admin.disconnect().catch(() => {});
      }
    });
  }

  private async addPartitions(): Promise<void> {
    const topic = this.rs.topics.jobs;
    const count = await this.withAdmin('adding partitions', async (admin) => {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      const next = meta.topics[0]!.partitions.length + 4;
      await admin.createPartitions({ topicPartitions: [{ topic, count: next }] });
      return next;
    });
    log(`jobs topic now has ${count} partitions`);
    this.notes.jobsPartitions = count;
  }

  /**
   * The group's committed offsets vanish (expired after offsets.retention, deleted by hand). The group
   * must be empty for that, so evaluators are held off meanwhile. Then they run against a group without
   * offsets while PostgreSQL holds outcomes of those partitions: they must refuse, not replay history as
   * new events. After a while the operator's restore command (when the project has one) puts the
   * offsets back from the database and the run continues.
   */
  private async deleteOffsets(): Promise<void> {
    log('holding evaluators to empty the group, then deleting its committed offsets');
    await this.fleet.holdEvaluators();
    await this.withAdmin('deleting the group offsets', (admin) => admin.deleteGroups([this.rs.group]));
    log(`group ${this.rs.group} deleted (no committed offsets); evaluators run again`);
    const refusedBefore = this.fleet.counters.refusedPartitions;
    this.fleet.releaseEvaluators();
    await sleep(10_000);
    const refused = this.fleet.counters.refusedPartitions - refusedBefore;
    this.notes.refusedAfterOffsetsDeleted =
      ((this.notes.refusedAfterOffsetsDeleted as number) ?? 0) + refused;
    log(`${refused} partition refusals after the deletion; restoring offsets from the database`);
    await this.restoreOffsets();
  }

  private async restoreOffsets(): Promise<void> {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
      scripts: Record<string, string>;
    };
    const script = pkg.scripts['offsets:restore'];
    const file = /node (\S+\.ts)/.exec(script ?? '')?.[1];
    if (!file || !existsSync(`${root}${file}`)) {
      log('no offsets:restore command in this checkout: refused partitions stay refused');
      this.notes.offsetsRestored = 'no command';
      return;
    }
    await this.fleet.holdEvaluators();
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [file], {
        cwd: root,
        env: { ...this.rs.env, DATABASE_URL: this.rs.dbUrl, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      child.on('exit', resolve);
    });
    this.notes.offsetsRestored = code === 0 ? 'restored' : `exit ${code}`;
    log(`offsets:restore exited ${code}`);
    this.fleet.releaseEvaluators();
  }

  /**
   * Results no longer fit in one produce request: the results topic's max.message.bytes drops to three
   * times the largest event stored so far, for the rest of the run. A batch's transaction must be split;
   * every single event still fits.
   */
  private async oversizeResults(): Promise<void> {
    const largest = await retrying('measuring result events', async () => {
      const rows = (await this.db.query.results.findMany({ limit: 200 })) as ResultRow[];
      return Math.max(1024, ...rows.map((r) => Buffer.byteLength(JSON.stringify(resultEvent(r)))));
    });
    const limit = Math.max(4096, 3 * largest + 512);
    await this.withAdmin('lowering max.message.bytes', (admin) =>
      admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: kafkajs.ConfigResourceTypes.TOPIC,
            name: this.rs.topics.results,
            configEntries: [{ name: 'max.message.bytes', value: String(limit) }],
          },
        ],
      }),
    );
    this.notes.resultsMaxMessageBytes = limit;
    log(`results topic max.message.bytes = ${limit} (largest event so far ${largest} bytes)`);
  }
}
