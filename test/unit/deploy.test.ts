// Deployment artefacts agree with the code: the compose file and the rendered manifests parse, set every
// variable the functions require and none they do not know; the dry-run output is what gets applied;
// the Dockerfile follows the rules we hold it to.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { cloudRunCommands } from '../../deploy/cloudrun.ts';
import { kubernetesManifests } from '../../deploy/kubernetes.ts';
import { deploySettings, REQUIRED_IN_DEPLOYMENTS } from '../../deploy/settings.ts';
import { configVariables, loadConfig } from '../../lib/config.ts';
import {
  FUNCTION_MALLOC_ENV,
  FUNCTION_NODE_OPTIONS,
  warmCompileCache,
} from '../../lib/util/function-runtime.ts';

const root = new URL('../../', import.meta.url);
const known = (name: string) => (configVariables as string[]).includes(name) || name.startsWith('OTEL_');

/** Resolves compose's ${VAR:-default} the way compose does with an empty environment. */
const interpolate = (v: string) => v.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

describe('docker compose', () => {
  const compose = parse(readFileSync(new URL('infra/docker-compose.yml', root), 'utf8')) as {
    services: Record<string, { environment?: Record<string, string>; command?: string[]; ports?: string[] }>;
  };

  it('has the whole system: Redpanda, Console on 8090, PostgreSQL, migrate, submit on 8080, evaluate in a loop, telemetry', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      [
        'console',
        'evaluate',
        'grafana',
        'jaeger',
        'migrate',
        'notify',
        'otel-collector',
        'postgres',
        'prometheus',
        'redpanda',
        'redpanda-init',
        'submit',
      ].sort(),
    );
    expect(compose.services.console!.ports).toContain('8090:8080');
    expect(compose.services.submit!.ports).toContain('8080:8080');
    expect(compose.services.evaluate!.command).toEqual(['node', 'functions/evaluate/index.ts', '--loop']);
    expect(compose.services.notify!.command).toEqual(['node', 'functions/notify/index.ts', '--loop']);
  });

  it("the functions' environment is complete, known and valid", () => {
    for (const name of ['submit', 'evaluate', 'notify', 'migrate']) {
      const env = Object.fromEntries(
        Object.entries(compose.services[name]!.environment ?? {}).map(([k, v]) => [
          k,
          interpolate(String(v)),
        ]),
      );
      expect(
        Object.keys(env).filter((k) => !known(k)),
        name,
      ).toEqual([]);
      expect(() => loadConfig(env)).not.toThrow();
    }
    for (const name of ['submit', 'evaluate', 'notify']) {
      for (const required of REQUIRED_IN_DEPLOYMENTS)
        expect(compose.services[name]!.environment).toHaveProperty(required);
    }
  });
});

describe('kubernetes manifests', () => {
  const settings = deploySettings();
  const manifests = kubernetesManifests(settings) as {
    kind: string;
    data?: Record<string, string>;
    spec?: Record<string, unknown>;
  }[];

  it('configure only variables the code knows, with the required ones from the ConfigMap or the Secret', () => {
    const configMap = manifests.find((m) => m.kind === 'ConfigMap')!;
    expect(Object.keys(configMap.data!).filter((k) => !known(k))).toEqual([]);
    for (const required of REQUIRED_IN_DEPLOYMENTS) {
      expect(Object.keys(configMap.data!).includes(required) || settings.secretEnv.includes(required)).toBe(
        true,
      );
    }
    expect(() => loadConfig({ ...configMap.data, DATABASE_URL: 'postgres://x@db/cv' })).not.toThrow();
  });

  it('scale evaluate with KEDA on the lag, at most one replica per partition with lag, with a CronJob fallback', () => {
    const scaled = manifests.find((m) => m.kind === 'ScaledJob') as unknown as {
      spec: { maxReplicaCount: number; triggers: { type: string; metadata: Record<string, string> }[] };
    };
    expect(scaled.spec.maxReplicaCount).toBe(settings.partitions);
    expect(scaled.spec.triggers[0]).toMatchObject({
      type: 'kafka',
      metadata: {
        limitToPartitionsWithLag: 'true',
        topic: 'evaluate-jobs',
        consumerGroup: 'cv-evaluator-evaluate',
      },
    });
    expect(manifests.some((m) => m.kind === 'CronJob')).toBe(true);
  });

  it('scale notify with KEDA on the lag of the results topic, and sweep due retries every minute', () => {
    const scaled = manifests.filter((m) => m.kind === 'ScaledJob') as unknown as {
      metadata: { name: string };
      spec: { jobTargetRef: unknown; triggers: { metadata: Record<string, string> }[] };
    }[];
    const notify = scaled.find((m) => m.metadata.name === 'cv-evaluator-notify')!;
    expect(notify.spec.triggers[0]!.metadata).toMatchObject({
      topic: 'evaluate-results',
      consumerGroup: 'cv-evaluator-notify',
      limitToPartitionsWithLag: 'true',
    });
    expect(JSON.stringify(notify.spec.jobTargetRef)).toContain('functions/notify/index.ts');
    const cron = manifests.find(
      (m) => m.kind === 'CronJob' && JSON.stringify(m).includes('functions/notify/index.ts'),
    ) as unknown as { spec: { schedule: string } };
    expect(cron.spec.schedule).toBe('* * * * *');
  });

  it('refuse a setting the code does not know, or a bad value', () => {
    expect(() => deploySettings({ KAFKA_BROKER: 'x:1' })).toThrow(/KAFKA_BROKER/);
    expect(() => deploySettings({ KAFKA_TOPIC_PARTITIONS: 'many' })).toThrow(/KAFKA_TOPIC_PARTITIONS/);
  });
});

describe('deploy --dry-run', { timeout: 60_000 }, () => {
  const dryRun = (target: string) =>
    execFileSync(
      process.execPath,
      ['scripts/deploy.ts', target, '--dry-run', '--image', 'registry.example/cv:1.2.3'],
      {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );

  it('kubernetes: renders exactly the manifests the script would apply', () => {
    const docs = parseAllDocuments(dryRun('kubernetes')).map(
      (d) => d.toJS() as { kind: string; spec?: unknown },
    );
    expect(docs.map((d) => d.kind)).toEqual([
      'Namespace',
      'ConfigMap',
      'Secret',
      'Job',
      'Deployment',
      'Service',
      'HorizontalPodAutoscaler',
      'ScaledJob',
      'ScaledJob',
      'PrometheusRule',
      'CronJob',
      'CronJob',
    ]);
    expect(JSON.stringify(docs)).toContain('registry.example/cv:1.2.3');
    expect(JSON.stringify(docs)).not.toMatch(/sk-|password/i);
  });

  it('cloudrun: a service for submit, a job for evaluate run by Cloud Scheduler', () => {
    const out = dryRun('cloudrun');
    expect(out).toContain('gcloud run deploy cv-evaluator-submit --image registry.example/cv:1.2.3');
    expect(out).toContain('gcloud run jobs deploy cv-evaluator-evaluate');
    expect(out).toContain('gcloud run jobs deploy cv-evaluator-notify');
    expect(out).toContain('jobs/cv-evaluator-notify:run');
    expect(out).toContain('gcloud scheduler jobs create http');
    expect(out.trim().split('\n')).toHaveLength(
      cloudRunCommands(deploySettings(), { project: 'p', region: 'r' }).length,
    );
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('is multi-stage on a pinned Node 24 slim base, production dependencies only', () => {
    const froms = instructions.filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f).toMatch(/^FROM node:24-slim\b/);
    expect(dockerfile).not.toMatch(/:latest\b/);
    expect(instructions.some((l) => /npm ci --omit=dev/.test(l))).toBe(true);
  });

  it('runs as a non-root user, with a healthcheck and exec-form commands', () => {
    const user = instructions.findLastIndex((l) => l.startsWith('USER '));
    const cmd = instructions.findLastIndex((l) => l.startsWith('CMD '));
    expect(instructions[user]).toBe('USER node');
    expect(user).toBeLessThan(cmd);
    expect(instructions.some((l) => l.startsWith('HEALTHCHECK '))).toBe(true);
    for (const l of instructions.filter((x) => /^(CMD|ENTRYPOINT) /.test(x)))
      expect(l).toMatch(/^(CMD|ENTRYPOINT) \[/);
    expect(instructions.some((l) => l.startsWith('ADD '))).toBe(false);
  });
});

describe('the functions run as the image runs them', () => {
  const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');

  it("the image's environment is the one local runs, benchmarks and the verifier give a function", () => {
    const env = dockerfile.replace(/\\\n/g, ' ').match(/^ENV (.+)$/m)![1]!;
    expect(env).toContain(`NODE_OPTIONS="${FUNCTION_NODE_OPTIONS}"`);
    expect(env).toMatch(/NODE_COMPILE_CACHE=\/app\/\.cache\/compile/);
    for (const [name, value] of Object.entries(FUNCTION_MALLOC_ENV))
      expect(env).toContain(`${name}=${value}`);
    // the image's build fills that cache, after every module is copied in
    expect(dockerfile).toMatch(/PORT=invalid node functions\/\$fn\/index\.ts/);
    expect(dockerfile.indexOf('COPY functions')).toBeLessThan(dockerfile.indexOf('PORT=invalid'));
  });

  it('warming loads every module of a function into the compile cache, and says which function would not load', () => {
    const dir = mkdtempSync(join(tmpdir(), 'compile-cache-'));
    try {
      expect(warmCompileCache(['evaluate'], dir)).toEqual([]);
      // a file per compiled module, under a directory named for the Node version
      const files = readdirSync(dir, { recursive: true }).filter(
        (f) => !statSync(join(dir, String(f))).isDirectory(),
      );
      expect(files.length).toBeGreaterThan(100);
      // not a function: its entrypoint cannot load, and the warm-up says so
      expect(warmCompileCache(['nope' as 'evaluate'], dir)).toEqual(['nope']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
