// PostgreSQL for the native stack: the server at DATABASE_URL when it answers, otherwise a private
// cluster made with initdb/pg_ctl inside the cache (loopback only, trust auth).
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import postgres from 'postgres';
import { stackDir } from './paths.ts';
import { step } from './progress.ts';

// STACK_PG_PORT: a second stack that needs its own private cluster puts it elsewhere.
export const privatePort = Number(process.env.STACK_PG_PORT || 55432);
const pgData = `${stackDir}/postgres/data`;
const pgLog = `${stackDir}/postgres/postgres.log`;

export async function postgresAnswers(url: string): Promise<boolean> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const sql = postgres(admin.toString(), { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

function pgBin(tool: string): string {
  const onPath = spawnSync('which', [tool], { encoding: 'utf8' });
  if (onPath.status === 0) return onPath.stdout.trim();
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(`${root}/${v}/bin/${tool}`)) return `${root}/${v}/bin/${tool}`;
  throw new Error(`${tool} not found: install PostgreSQL server binaries or set DATABASE_URL`);
}

/** initdb refuses to run as root: run the server tools as the `postgres` user when we are root. */
function runPg(tool: string, args: string[]): void {
  const bin = pgBin(tool);
  const asRoot = process.getuid?.() === 0;
  const cmd = asRoot ? 'runuser' : bin;
  const fullArgs = asRoot ? ['-u', 'postgres', '--', bin, ...args] : args;
  const r = spawnSync(cmd, fullArgs, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${tool} failed: ${r.stderr || r.stdout}`);
}

function ownForPostgres(dir: string): void {
  if (process.getuid?.() !== 0) return;
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (id.status !== 0)
    throw new Error('running as root and no `postgres` user exists to own the private cluster');
  chownSync(dir, Number(id.stdout), Number(gid.stdout));
}

export function privateUrl(database = 'cv_evaluator'): string {
  return `postgres://postgres@127.0.0.1:${privatePort}/${database}`;
}

export function startPrivateCluster(): string {
  mkdirSync(`${stackDir}/postgres`, { recursive: true });
  ownForPostgres(`${stackDir}/postgres`);
  if (!existsSync(`${pgData}/PG_VERSION`)) {
    step(`creating a private PostgreSQL cluster in ${pgData}`);
    runPg('initdb', ['-D', pgData, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
  }
  step(`starting the private PostgreSQL on 127.0.0.1:${privatePort}`);
  runPg('pg_ctl', [
    '-D',
    pgData,
    '-l',
    pgLog,
    '-w',
    '-o',
    `-p ${privatePort} -c listen_addresses=127.0.0.1 -k ${stackDir}/postgres -c max_connections=200`,
    'start',
  ]);
  return privateUrl();
}

export function stopPrivateCluster(): void {
  if (!existsSync(`${pgData}/postmaster.pid`)) return;
  runPg('pg_ctl', ['-D', pgData, '-m', 'fast', '-w', 'stop']);
}
