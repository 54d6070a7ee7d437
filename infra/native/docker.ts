// The Docker path of the local stack: used when a Docker engine answers.
import { spawnSync } from 'node:child_process';
import { projectRoot } from './paths.ts';

export const composeFile = `${projectRoot}infra/docker-compose.yml`;

export function dockerEngineAnswers(): boolean {
  const r = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
    encoding: 'utf8',
    timeout: 5000,
  });
  return r.status === 0 && r.stdout.trim().length > 0;
}

export function compose(args: string[]): void {
  const r = spawnSync('docker', ['compose', '-f', composeFile, ...args], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`docker compose ${args.join(' ')} failed (exit ${r.status})`);
}
