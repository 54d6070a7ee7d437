// The verifier's database outage: a TCP proxy between every process and PostgreSQL. cut(ms) destroys
// every open connection and refuses new ones for that long — what clients see when the server restarts.
import { createServer, type Server, Socket } from 'node:net';

export interface OutageProxy {
  port: number;
  /** rewrites a postgres:// URL to go through the proxy */
  via(url: string): string;
  cut(ms: number): Promise<void>;
  readonly outages: number;
  close(): Promise<void>;
}

export async function startOutageProxy(target: { host: string; port: number }): Promise<OutageProxy> {
  const open = new Set<Socket>();
  let refusing = false;
  let outages = 0;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = new Socket();
    open.add(client).add(upstream);
    const end = () => {
      open.delete(client);
      open.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    upstream.connect(target.port, target.host);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    via(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async cut(ms) {
      outages += 1;
      refusing = true;
      for (const s of open) s.destroy();
      open.clear();
      await new Promise((r) => setTimeout(r, ms));
      refusing = false;
    },
    get outages() {
      return outages;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
