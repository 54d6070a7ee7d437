// Databases made for one run (a test run's, a benchmark's) carry the pid of the process that made them
// after their prefix, so a later run can drop what a killed one left behind while the databases of runs
// still alive (another checkout sharing this server) are left alone.
import postgres from 'postgres';

export function adminUrl(url: string): string {
  const u = new URL(url);
  u.pathname = '/postgres';
  return u.toString();
}

/** Drops every database whose name is LIKE the pattern, whoever is connected to it. */
export async function dropDatabases(url: string, likePattern: string): Promise<void> {
  const sql = postgres(adminUrl(url), { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`select datname from pg_database where datname like ${likePattern}`;
    for (const r of rows) await sql.unsafe(`drop database if exists "${r.datname}" with (force)`);
  } finally {
    await sql.end();
  }
}

/**
 * Drops the databases named `<prefix>[template_]<pid>_…` whose process is gone, and those under the
 * prefix that carry no pid (named before this rule) while nothing is connected to them.
 */
export async function dropAbandonedDatabases(url: string, prefix: string): Promise<void> {
  const sql = postgres(adminUrl(url), { max: 1, onnotice: () => {} });
  const owner = new RegExp(`^${prefix}(?:template_)?(\\d+)(?:_|$)`);
  try {
    const rows = await sql`
      select d.datname, coalesce(s.numbackends, 0) as connections
      from pg_database d left join pg_stat_database s on s.datname = d.datname
      where starts_with(d.datname, ${prefix})`;
    for (const r of rows) {
      const pid = Number(owner.exec(String(r.datname))?.[1]);
      if (pid ? pidAlive(pid) : Number(r.connections) > 0) continue;
      await sql.unsafe(`drop database if exists "${r.datname}" with (force)`);
    }
  } finally {
    await sql.end();
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process is there, another user's
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
