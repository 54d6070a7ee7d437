// Google Cloud Run: submit as a service; evaluate as a Cloud Run job executed by Cloud Scheduler.
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
    [
      'gcloud',
      'run',
      'jobs',
      'deploy',
      'cv-evaluator-evaluate',
      '--image',
      s.image,
      '--command',
      'node',
      '--args',
      'functions/evaluate/index.ts',
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
      'cv-evaluator-evaluate-every-minute',
      '--schedule',
      '* * * * *',
      '--location',
      o.region,
      '--project',
      o.project,
      '--http-method',
      'POST',
      '--uri',
      `https://run.googleapis.com/v2/projects/${o.project}/locations/${o.region}/jobs/cv-evaluator-evaluate:run`,
      '--oauth-service-account-email',
      `cv-evaluator-scheduler@${o.project}.iam.gserviceaccount.com`,
    ],
  ];
}
