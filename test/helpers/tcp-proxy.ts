// A TCP proxy the test controls, between a client and a server (PostgreSQL, a broker): cut every
// connection and refuse new ones for a while, or let a request through and lose its answer.
import { createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** host:port to give the client instead of the server's */
  address: string;
  port: number;
  /** Destroys every open connection; new ones are refused (nothing listens) until restore(). */
  cut(): void;
  /**
   * The server stops answering and nothing is closed (a hung host, a paused container, a partitioned
   * network): bytes either way are dropped, new connections are accepted and hear nothing. restore()
   * then resets the connections that went through the hang (their streams lost bytes).
   */
  hang(): void;
  /** The server's answers are held (a slow network, a stalled host) and delivered, late, by restore(). */
  stall(): void;
  restore(): Promise<void>;
  /**
   * Arms a one-shot trap: the first client chunk matching `pattern` is forwarded to the server, the
   * server's answer on that connection is never delivered, and the connection is destroyed after
   * `afterMs` — a request that took effect whose acknowledgement was lost. Resolves once sprung.
   * `atExecute` (PostgreSQL's extended protocol): the matching chunk may only parse the statement and
   * wait for its description; the trap then springs on the first chunk of that connection that
   * executes it, so the statement does take effect.
   */
  loseAnswerTo(pattern: RegExp, options?: { afterMs?: number; atExecute?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let refusing = false;
  let hung = false;
  let stalled = false;
  const held: (() => void)[] = [];
  const hungPairs = new Set<{ client: Socket; upstream: Socket }>();
  let trap: { pattern: RegExp; afterMs: number; atExecute: boolean; sprung: () => void } | undefined;
  // An Execute message for the unnamed portal, no row limit: 'E', length 9, "", 0.
  const execute = Buffer.from([0x45, 0, 0, 0, 9, 0, 0, 0, 0, 0]);

  const server: Server = createServer((client) => {
    const upstream = new (client.constructor as typeof Socket)();
    const pair = { client, upstream };
    pairs.add(pair);
    let answersLost = false;
    let armedHere = false;
    upstream.connect(target.port, target.host);
    client.on('data', (chunk: Buffer) => {
      if (hung) {
        hungPairs.add(pair);
        return;
      }
      const t = trap;
      if (t && !armedHere && t.pattern.test(chunk.toString('latin1'))) armedHere = true;
      if (t && armedHere && (!t.atExecute || chunk.includes(execute))) {
        trap = undefined;
        armedHere = false;
        answersLost = true;
        upstream.write(chunk);
        setTimeout(() => {
          client.destroy();
          upstream.destroy();
          t.sprung();
        }, t.afterMs);
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (hung) {
        hungPairs.add(pair);
        return;
      }
      if (stalled) {
        held.push(() => client.write(chunk));
        return;
      }
      if (!answersLost) client.write(chunk);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  const proxy: TcpProxy = {
    address: `127.0.0.1:${port}`,
    port,
    cut() {
      // Like a server that went away: open connections reset, new ones refused (ECONNREFUSED).
      if (!refusing) {
        refusing = true;
        server.close();
      }
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    hang() {
      hung = true;
      for (const pair of pairs) hungPairs.add(pair);
    },
    stall() {
      stalled = true;
    },
    async restore() {
      if (stalled) {
        stalled = false;
        for (const deliver of held.splice(0)) deliver();
      }
      if (hung) {
        hung = false;
        for (const { client, upstream } of hungPairs) {
          client.destroy();
          upstream.destroy();
        }
        hungPairs.clear();
      }
      if (!refusing) return;
      refusing = false;
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    loseAnswerTo(pattern, { afterMs = 300, atExecute = false } = {}) {
      return new Promise((resolve) => {
        trap = { pattern, afterMs, atExecute, sprung: resolve };
      });
    },
    async close() {
      proxy.cut();
    },
  };
  return proxy;
}

/** The same database URL, through the proxy. */
export function viaProxy(databaseUrl: string, proxy: TcpProxy): string {
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return url.toString();
}
