// bench:submit's ceiling: a bare node:http server doing the evaluate route's database work the plain way
// — check the two uploads belong to the caller, insert the job (idempotent on (client, key)), mark it
// published — one postgres.js statement each, no framework, no Kafka, no validation library.
// Usage: node scripts/bench/bare-submit.ts <port> <database url> <pool size> <client id>
import { createServer } from 'node:http';
import postgres from 'postgres';

const [port, url, pool, clientId] = process.argv.slice(2) as [string, string, string, string];
const sql = postgres(url, { max: Number(pool), onnotice: () => {} });

const server = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.end('{"status":"ok"}');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { cv_id: string; project_id: string };
      const key = String(req.headers['idempotency-key']);
      const found = await sql`select id, kind from uploads
        where client_id = ${clientId} and id in (${body.cv_id}, ${body.project_id})`;
      if (found.length !== 2) {
        res.writeHead(404).end();
        return;
      }
      const [job] =
        await sql`insert into jobs (client_id, idempotency_key, request_fingerprint, cv_id, project_id, publish_lease_until)
        values (${clientId}, ${key}, 'bare', ${body.cv_id}, ${body.project_id}, now() + interval '15 seconds')
        on conflict (client_id, idempotency_key) do nothing returning id`;
      if (job)
        await sql`update jobs set published_at = now(), publish_lease_until = null where id = ${job.id}`;
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: job?.id, status: 'queued' }));
    } catch {
      res.writeHead(500).end();
    }
  });
});
server.listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  void sql.end({ timeout: 2 }).then(() => process.exit(0));
});
