// The native Kafka stack: official Apache Kafka jars from Maven Central, KRaft mode (each node is
// broker and controller), one node for tests or three for the chaos verifier. No Docker needed.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createKafka } from '../../lib/kafka/client.ts';
import { cacheDir, portBase, projectRoot, stackDir } from './paths.ts';
import { done, step, waitFor } from './progress.ts';

export const KAFKA_VERSION = '4.1.1';
export const libsDir = `${cacheDir}/kafka-${KAFKA_VERSION}/libs`;

export interface BrokerNode {
  id: number;
  port: number;
  controllerPort: number;
  dir: string;
  pid?: number;
}

export const clientPort = (id: number) => portBase + id - 1;
export const controllerPort = (id: number) => portBase + 100 + id - 1;

export function brokerNodes(count: number): BrokerNode[] {
  return Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    port: clientPort(i + 1),
    controllerPort: controllerPort(i + 1),
    dir: `${stackDir}/kafka-${i + 1}`,
  }));
}

/** Downloads the broker, its runtime dependencies and the SLF4J binding once. */
export function ensureKafkaJars(): void {
  const marker = `${libsDir}/.complete`;
  if (existsSync(marker)) return;
  // Maven's download log is hundreds of lines: keep it behind this one line, and show it only when
  // Maven fails.
  step(`fetching Apache Kafka ${KAFKA_VERSION} jars from Maven Central (once; a minute or two)`);
  mkdirSync(libsDir, { recursive: true });
  const mvn = spawnSync(
    'mvn',
    [
      '-B',
      '-ntp',
      '-f',
      `${projectRoot}infra/native/pom.xml`,
      `-Dkafka.version=${KAFKA_VERSION}`,
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${libsDir}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (mvn.status !== 0) {
    process.stderr.write(`${mvn.stdout ?? ''}${mvn.stderr ?? ''}`);
    const why = mvn.error ? `: ${mvn.error.message}` : ` (exit ${mvn.status}; its output is above)`;
    throw new Error(`mvn could not fetch the Kafka jars${why}`);
  }
  const jars = readdirSync(libsDir).filter((f) => f.endsWith('.jar'));
  if (!jars.some((j) => j.startsWith('kafka_2.13-'))) throw new Error('kafka_2.13 jar missing after mvn');
  writeFileSync(marker, `${jars.length} jars\n`);
  done(`${jars.length} jars in ${libsDir}`);
}

function serverProperties(node: BrokerNode, nodes: BrokerNode[]): string {
  const n = nodes.length;
  const replicated = n >= 3 ? 3 : 1;
  const minIsr = n >= 3 ? 2 : 1;
  const voters = nodes.map((v) => `${v.id}@127.0.0.1:${v.controllerPort}`).join(',');
  return `# written by infra/native/kafka.ts
process.roles=broker,controller
node.id=${node.id}
controller.quorum.voters=${voters}
listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${node.dir}/data
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=${replicated}
min.insync.replicas=${minIsr}
unclean.leader.election.enable=false
# Internal topics sized for the cluster: replication above the live brokers means no group coordinator.
offsets.topic.replication.factor=${replicated}
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=${replicated}
transaction.state.log.min.isr=${minIsr}
transaction.state.log.num.partitions=12
share.coordinator.state.topic.replication.factor=${replicated}
share.coordinator.state.topic.min.isr=${minIsr}
# Responsive local stack: no 3 s wait before the first rebalance (production keeps the default, which
# delays a fresh group's first assignment by up to 3 s), and short sessions allowed for invocations.
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
# A killed broker is fenced after this long.
broker.session.timeout.ms=9000
broker.heartbeat.interval.ms=1000
# Two cores: fewer threads, small cleaner buffer (128 MiB of heap by default).
num.network.threads=2
num.io.threads=4
background.threads=4
num.replica.fetchers=1
num.recovery.threads.per.data.dir=1
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=8388608
log.segment.bytes=104857600
`;
}

const log4jProperties = `status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = \${sys:kafka.logs.dir}/server.log
appender.file.filePattern = \${sys:kafka.logs.dir}/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.state.name = state.change.logger
logger.state.level = warn
`;

/** Writes configs and formats KRaft storage for every node that has none yet. */
export function prepareNodes(nodes: BrokerNode[], clusterId: string): void {
  for (const node of nodes) {
    mkdirSync(`${node.dir}/logs`, { recursive: true });
    writeFileSync(`${node.dir}/server.properties`, serverProperties(node, nodes));
    writeFileSync(`${node.dir}/log4j2.properties`, log4jProperties);
    if (existsSync(`${node.dir}/data/meta.properties`)) continue;
    step(`formatting KRaft storage of broker ${node.id}`);
    const format = spawnSync(
      'java',
      [
        ...jvmBase(node),
        'kafka.tools.StorageTool',
        'format',
        '-c',
        `${node.dir}/server.properties`,
        // `--cluster-id=<id>` in one argument: an id may begin with '-', which argparse
        // would otherwise read as the next option.
        `--cluster-id=${clusterId}`,
      ],
      { encoding: 'utf8' },
    );
    if (format.status !== 0) {
      throw new Error(`formatting broker ${node.id} failed:\n${format.stdout}${format.stderr}`);
    }
  }
}

/** A KRaft cluster id; like Kafka's own Uuid.randomUuid(), never one that starts with '-'. */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function jvmBase(node: BrokerNode): string[] {
  return [
    '-cp',
    `${libsDir}/*`,
    `-Dlog4j2.configurationFile=${node.dir}/log4j2.properties`,
    `-Dkafka.logs.dir=${node.dir}/logs`,
    '-Djava.awt.headless=true',
  ];
}

export function startNode(node: BrokerNode, heap: string): number {
  const out = openSync(`${node.dir}/logs/stdout.log`, 'a');
  const child = spawn(
    'java',
    [
      `-Xms256m`,
      `-Xmx${heap}`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:+ExitOnOutOfMemoryError',
      ...jvmBase(node),
      'kafka.Kafka',
      `${node.dir}/server.properties`,
    ],
    { detached: true, stdio: ['ignore', out, out] },
  );
  child.unref();
  if (!child.pid) throw new Error(`could not start broker ${node.id}`);
  return child.pid;
}

export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a process that died and was not reaped yet (a zombie) still answers signal 0; without /proc (macOS)
  // signal 0 is all there is
  if (!existsSync('/proc/self/stat')) return true;
  try {
    // "pid (name) state …": the name may hold anything, the state follows its last parenthesis
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false; // gone since
  }
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Stops brokers: SIGTERM to all at once (controlled shutdowns can wait on each other), SIGKILL after a grace. */
export async function stopNodes(pids: number[], graceMs = 30_000): Promise<void> {
  const live = pids.filter(isAlive);
  for (const pid of live) process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (live.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  for (const pid of live.filter(isAlive)) process.kill(pid, 'SIGKILL');
  while (live.some(isAlive)) await new Promise((r) => setTimeout(r, 50));
}

export function killNode(pid: number): void {
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

/**
 * Ready means: every client listener is open (it opens only once the broker is unfenced) and a
 * transactional produce has committed, so the transaction coordinator and its log are up.
 */
export async function waitUntilReady(nodes: BrokerNode[], timeoutMs = 120_000): Promise<void> {
  for (const node of nodes) {
    await waitFor(
      `broker ${node.id} listener on 127.0.0.1:${node.port}`,
      async () => ((await portOpen(node.port)) ? true : undefined),
      { timeoutMs },
    );
  }
  await committedTransactionalProduce(
    nodes.map((n) => `127.0.0.1:${n.port}`),
    nodes.length >= 3 ? 3 : 1,
    timeoutMs,
  );
}

export async function committedTransactionalProduce(
  brokers: string[],
  replicationFactor: number,
  timeoutMs: number,
): Promise<void> {
  const kafka = createKafka({ clientId: 'stack-readiness', brokers });
  const topic = '__stack-readiness';
  const admin = kafka.admin();
  await waitFor(
    'the readiness topic',
    async () => {
      await admin.connect();
      const existing = await admin.listTopics();
      if (!existing.includes(topic)) {
        await admin.createTopics({
          topics: [{ topic, numPartitions: 1, replicationFactor }],
          waitForLeaders: true,
        });
      }
      return true;
    },
    { timeoutMs, intervalMs: 500 },
  );
  await admin.disconnect();
  await waitFor(
    'a committed transactional produce',
    async () => {
      const producer = kafka.producer({
        transactionalId: `stack-readiness-${process.pid}`,
        idempotent: true,
        maxInFlightRequests: 1,
        retry: { retries: 2 },
      });
      try {
        await producer.connect();
        const tx = await producer.transaction();
        await tx.send({ topic, messages: [{ value: new Date().toISOString() }] });
        await tx.commit();
        return true;
      } finally {
        await producer.disconnect().catch(() => {});
      }
    },
    { timeoutMs, intervalMs: 1000 },
  );
}

export function removeNodeData(node: BrokerNode): void {
  rmSync(node.dir, { recursive: true, force: true });
}
