// npm run deploy -- kubernetes|cloudrun [--dry-run] [--image <ref>] [--project p --region r]
// Builds and pushes the image, then applies the manifests (kubectl) or runs the gcloud commands.
// --dry-run renders everything it would apply and runs nothing.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { cloudRunCommands } from '../deploy/cloudrun.ts';
import { kubernetesManifests } from '../deploy/kubernetes.ts';
import { deploySettings } from '../deploy/settings.ts';

const [target, ...rest] = process.argv.slice(2);
const { values } = parseArgs({
  args: rest,
  options: {
    'dry-run': { type: 'boolean', default: false },
    image: { type: 'string', default: process.env.IMAGE ?? 'ghcr.io/example/cv-evaluator:latest' },
    project: { type: 'string', default: process.env.GCP_PROJECT ?? 'my-project' },
    region: { type: 'string', default: process.env.GCP_REGION ?? 'europe-west1' },
    'kafka-brokers': { type: 'string', default: process.env.KAFKA_BROKERS },
  },
});
if (target !== 'kubernetes' && target !== 'cloudrun') {
  process.stderr.write('usage: deploy.ts kubernetes|cloudrun [--dry-run] [--image ref]\n');
  process.exit(2);
}
const settings = deploySettings({ KAFKA_BROKERS: values['kafka-brokers'] }, values.image);
const dry = values['dry-run'];
const run = (cmd: string[], input?: string) => {
  process.stderr.write(`$ ${cmd.join(' ')}\n`);
  if (dry) return;
  const r = spawnSync(cmd[0]!, cmd.slice(1), {
    stdio: [input ? 'pipe' : 'inherit', 'inherit', 'inherit'],
    input,
  });
  if (r.status !== 0) throw new Error(`${cmd[0]} failed (exit ${r.status})`);
};

if (!dry) {
  run(['docker', 'build', '-t', settings.image, '.']);
  run(['docker', 'push', settings.image]);
}
if (target === 'kubernetes') {
  const docs = kubernetesManifests(settings)
    .map((m) => stringify(m))
    .join('---\n');
  if (dry) process.stdout.write(docs);
  else run(['sh', '-c', 'envsubst | kubectl apply -f -'], docs);
} else {
  const commands = cloudRunCommands(settings, { project: values.project, region: values.region });
  if (dry)
    process.stdout.write(
      `${commands.map((c) => c.map((a) => (/[\s*@^]/.test(a) ? `'${a}'` : a)).join(' ')).join('\n')}\n`,
    );
  else for (const c of commands) run(c);
}
