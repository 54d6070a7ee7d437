// Google Cloud Run: submit as a service; evaluate and notify as Cloud Run jobs executed by Cloud Scheduler.
// Rendered as the gcloud commands the deploy script runs (or prints, with --dry-run).
import type { DeploySettings } from './settings.ts';

export interface CloudRunOptions {
  project: string;
  region: string;
}

export function cloudRunCommands(s: DeploySettings, o: CloudRunOptions): string[][] {
  const envVars = Object.entries(s.env)
    .map(([k, v]) => `${k}=${v}`)
    .join('@');
  const secrets = s.secretEnv
    .map((k) => `${k}=cv-evaluator-${k.toLowerCase().replace(/_/g, '-')}:latest`)
    .join(',');
  const common = ['--project', o.project, '--region', o.region];
  // evaluate and notify are both Cloud Run jobs executed every minute by Cloud Scheduler (notify's
  // run also sends the webhook retries that came due).
  const functionJob = (fn: 'evaluate' | 'notify'): string[][] => [
    [
      'gcloud',
      'run',
      'jobs',
      'deploy',
      `cv-evaluator-${fn}`,
      '--image',
      s.image,
      '--command',
      'node',
      '--args',
      `functions/${fn}/index.ts`,
      `--set-env-vars=^@^${envVars}`,
      `--set-secrets=${secrets}`,
      '--tasks',
      '3',
      '--max-retries',
      '2',
      '--task-timeout',
      '300s',
      ...common,
    ],
    [
      'gcloud',
      'scheduler',
      'jobs',
      'create',
      'http',
      `cv-evaluator-${fn}-every-minute`,
      '--schedule',
      '* * * * *',
      '--location',
      o.region,
      '--project',
      o.project,
      '--http-method',
      'POST',
      '--uri',
      `https://run.googleapis.com/v2/projects/${o.project}/locations/${o.region}/jobs/cv-evaluator-${fn}:run`,
      '--oauth-service-account-email',
      `cv-evaluator-scheduler@${o.project}.iam.gserviceaccount.com`,
    ],
  ];
  return [
    [
      'gcloud',
      'run',
      'jobs',
      'deploy',
      'cv-evaluator-migrate',
      '--image',
      s.image,
      '--command',
      'node',
      '--args',
      'scripts/db-migrate.ts',
      `--set-env-vars=^@^${envVars}`,
      `--set-secrets=${secrets}`,
      ...common,
    ],
    ['gcloud', 'run', 'jobs', 'execute', 'cv-evaluator-migrate', '--wait', ...common],
    [
      'gcloud',
      'run',
      'deploy',
      'cv-evaluator-submit',
      '--image',
      s.image,
      '--command',
      'node',
      '--args',
      'functions/submit/index.ts',
      '--port',
      '8080',
      `--set-env-vars=^@^${envVars}`,
      `--set-secrets=${secrets}`,
      '--min-instances',
      '1',
      '--max-instances',
      '10',
      // Cloud Run sends SIGTERM and waits 10 s: submit stops accepting and finishes requests in flight.
      '--cpu-boost',
      '--no-allow-unauthenticated',
      ...common,
    ],
    ...(['evaluate', 'notify'] as const).flatMap((fn) => functionJob(fn)),
  ];
}
