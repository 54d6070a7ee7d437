// Preloaded into a benchmarked process (node --import): counts the socket writes it makes to PostgreSQL
// and to Kafka (each write is one request sent: a query, a Produce, an EndTxn, …), API requests served (/v1/…),
// and the event loop's delay. At exit it writes the counts as JSON to BENCH_DIAGNOSTICS_FILE; SIGUSR2 starts
// the counts again (the bench sends it once a server is warm).
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.BENCH_DIAGNOSTICS_FILE;
const postgresPort = Number(process.env.BENCH_POSTGRES_PORT ?? 5432);
const writes = { postgres: 0, kafka: 0, other: 0 };
let requests = 0;
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

const write = net.Socket.prototype.write;
net.Socket.prototype.write = function (this: net.Socket, ...args: unknown[]) {
  const port = this.remotePort;
  if (port === postgresPort) writes.postgres += 1;
  else if (port !== undefined && port >= 9092 && port <= 9200) writes.kafka += 1;
  else writes.other += 1;
  return (write as (...a: unknown[]) => boolean).apply(this, args);
} as typeof write;

const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (this: http.Server, event: string, ...args: unknown[]) {
  if (event === 'request' && (args[0] as http.IncomingMessage).url?.startsWith('/v1/')) requests += 1;
  return (emit as (...a: unknown[]) => boolean).apply(this, [event, ...args]);
} as typeof emit;

// The bench sends SIGUSR2 after its warm-up: from then on, only the measured load is counted.
process.on('SIGUSR2', () => {
  writes.postgres = 0;
  writes.kafka = 0;
  writes.other = 0;
  requests = 0;
  loop.reset();
});

process.on('exit', () => {
  if (!file) return;
  const n = Math.max(1, requests);
  writeFileSync(
    file,
    JSON.stringify({
      requests,
      postgresWritesPerRequest: Number((writes.postgres / n).toFixed(3)),
      kafkaWritesPerRequest: Number((writes.kafka / n).toFixed(3)),
      eventLoopDelayP99Ms: Number((loop.percentile(99) / 1e6).toFixed(1)),
      eventLoopDelayMeanMs: Number((loop.mean / 1e6).toFixed(1)),
    }),
  );
});
