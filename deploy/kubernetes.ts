// Kubernetes manifests: submit as a Deployment + Service + HPA; evaluate as a KEDA ScaledJob on the lag
// of evaluate-jobs (at most one replica per partition with lag) with a CronJob fallback; notify as a
// ScaledJob on the lag of evaluate-results with a CronJob every minute for retries that came due; migrations as
// a Job; secrets from a Secret. Rendered from deploy/settings.ts.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { DeploySettings } from './settings.ts';

/** The alerting rules of infra/telemetry/alerts.yml (one source for compose and Kubernetes). */
export function alertRuleGroups(): unknown[] {
  const file = new URL('../infra/telemetry/alerts.yml', import.meta.url);
  return (parse(readFileSync(file, 'utf8')) as { groups: unknown[] }).groups;
}

type Manifest = Record<string, unknown>;

const labels = (component: string) => ({
  'app.kubernetes.io/name': 'cv-evaluator',
  'app.kubernetes.io/component': component,
});

function container(s: DeploySettings, name: string, command: string[], extra: Manifest = {}): Manifest {
  return {
    name,
    image: s.image,
    command,
    envFrom: [{ configMapRef: { name: 'cv-evaluator-env' } }],
    env: s.secretEnv.map((key) => ({
      name: key,
      valueFrom: { secretKeyRef: { name: 'cv-evaluator-secrets', key, optional: key !== 'DATABASE_URL' } },
    })),
    securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
    ...extra,
  };
}

const functionPod = (s: DeploySettings, name: 'evaluate' | 'notify'): Manifest => ({
  metadata: { labels: labels(name) },
  spec: {
    restartPolicy: 'Never',
    // The invocation commits or aborts its open transaction and leaves the group on SIGTERM.
    terminationGracePeriodSeconds: 30,
    containers: [
      container(s, name, ['node', `functions/${name}/index.ts`], {
        resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
      }),
    ],
  },
});
const evaluatePod = (s: DeploySettings) => functionPod(s, 'evaluate');

/** A KEDA ScaledJob on a consumer group's lag: at most one invocation per partition with lag. */
const scaledJob = (
  s: DeploySettings,
  meta: Manifest,
  name: 'evaluate' | 'notify',
  group: string,
  topic: string,
  lagThreshold: string,
): Manifest => ({
  apiVersion: 'keda.sh/v1alpha1',
  kind: 'ScaledJob',
  metadata: meta,
  spec: {
    jobTargetRef: { backoffLimit: 2, template: functionPod(s, name) },
    pollingInterval: 10,
    // More invocations than partitions with lag would only wait in the group.
    maxReplicaCount: s.partitions,
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 5,
    scalingStrategy: { strategy: 'accurate' },
    triggers: [
      {
        type: 'kafka',
        metadata: {
          bootstrapServers: s.env.KAFKA_BROKERS,
          consumerGroup: group,
          topic,
          lagThreshold,
          offsetResetPolicy: 'earliest',
          limitToPartitionsWithLag: 'true',
        },
      },
    ],
  },
});

export function kubernetesManifests(s: DeploySettings): Manifest[] {
  const ns = s.namespace;
  const meta = (name: string, component: string) => ({ name, namespace: ns, labels: labels(component) });
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cv-evaluator-env', 'config'), data: s.env },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta('cv-evaluator-secrets', 'config'),
      type: 'Opaque',
      // Filled by the deploy script from the operator's environment; never committed.
      stringData: Object.fromEntries(s.secretEnv.map((k) => [k, `\${${k}}`])),
    },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta('cv-evaluator-migrate', 'migrate'),
      spec: {
        backoffLimit: 3,
        template: {
          metadata: { labels: labels('migrate') },
          spec: {
            restartPolicy: 'OnFailure',
            containers: [container(s, 'migrate', ['node', 'scripts/db-migrate.ts'])],
          },
        },
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('cv-evaluator-submit', 'submit'),
      spec: {
        replicas: 2,
        selector: { matchLabels: labels('submit') },
        template: {
          metadata: { labels: labels('submit') },
          spec: {
            terminationGracePeriodSeconds: 30,
            containers: [
              container(s, 'submit', ['node', 'functions/submit/index.ts'], {
                ports: [{ containerPort: 8080, name: 'http' }],
                // INSTANCE_ID is the pod name: stable for the pod's life, unique among live pods, so
                // two replicas never share a request-side transactional id.
                env: [
                  { name: 'INSTANCE_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  ...s.secretEnv.map((key) => ({
                    name: key,
                    valueFrom: {
                      secretKeyRef: { name: 'cv-evaluator-secrets', key, optional: key !== 'DATABASE_URL' },
                    },
                  })),
                ],
                // the app answers /readyz within 2 s whatever its dependencies do (READINESS_CHECK_MS)
                readinessProbe: {
                  httpGet: { path: '/readyz', port: 'http' },
                  periodSeconds: 5,
                  timeoutSeconds: 3,
                },
                livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10 },
                // Let the endpoints controller take the pod out of the Service before SIGTERM.
                lifecycle: { preStop: { sleep: { seconds: 5 } } },
                resources: { requests: { cpu: '250m', memory: '192Mi' }, limits: { memory: '384Mi' } },
              }),
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('cv-evaluator-submit', 'submit'),
      spec: { selector: labels('submit'), ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: meta('cv-evaluator-submit', 'submit'),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'cv-evaluator-submit' },
        minReplicas: 2,
        maxReplicas: 10,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
          },
        ],
      },
    },
    scaledJob(
      s,
      meta('cv-evaluator-evaluate', 'evaluate'),
      'evaluate',
      s.env.KAFKA_EVALUATE_GROUP!,
      s.env.KAFKA_TOPIC_JOBS!,
      '50',
    ),
    scaledJob(
      s,
      meta('cv-evaluator-notify', 'notify'),
      'notify',
      s.env.KAFKA_NOTIFY_GROUP!,
      s.env.KAFKA_TOPIC_RESULTS!,
      '20',
    ),
    {
      // For the Prometheus Operator (kube-prometheus-stack): the same rules as the compose Prometheus.
      // Its default ruleSelector matches the Helm release label; set it to your release's name.
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: {
        ...meta('cv-evaluator-alerts', 'alerts'),
        labels: { ...labels('alerts'), release: 'prometheus' },
      },
      spec: { groups: alertRuleGroups() },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: meta('cv-evaluator-evaluate-fallback', 'evaluate'),
      spec: {
        // Fallback when KEDA is absent or down: one invocation every 5 minutes (it also runs the sweeper).
        schedule: '*/5 * * * *',
        concurrencyPolicy: 'Forbid',
        jobTemplate: { spec: { backoffLimit: 2, template: evaluatePod(s) } },
      },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: meta('cv-evaluator-notify-due', 'notify'),
      spec: {
        // Webhook retries come due with no new result to raise the lag KEDA watches: one invocation a
        // minute sweeps them (and drains results if KEDA is absent).
        schedule: '* * * * *',
        concurrencyPolicy: 'Forbid',
        jobTemplate: { spec: { backoffLimit: 2, template: functionPod(s, 'notify') } },
      },
    },
  ];
}
