// The verifier's database outage must really cut: open connections die, new ones are refused for the
// outage, and connections work again afterwards. Real sockets on loopback.
import { connect, createServer, type Server } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { startOutageProxy } from '../verifier/tcp-proxy.ts';

let echo: Server | undefined;
afterEach(() => echo?.close());

function roundTrip(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.write('ping'));
    s.once('data', (d) => {
      resolve(d.toString());
      s.destroy();
    });
    s.once('error', () => resolve('error'));
    s.once('close', () => resolve('closed'));
  });
}

it('cuts open connections, refuses new ones during the outage, and serves again after', async () => {
  echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo!.listen(0, '127.0.0.1', r));
  const proxy = await startOutageProxy({
    host: '127.0.0.1',
    port: (echo.address() as { port: number }).port,
  });
  try {
    expect(await roundTrip(proxy.port)).toBe('ping');
    const open = connect({ host: '127.0.0.1', port: proxy.port });
    await new Promise((r) => open.once('connect', r));
    const closed = new Promise((r) => open.once('close', r));
    const outage = proxy.cut(500);
    await closed; // the open connection was cut
    expect(await roundTrip(proxy.port)).not.toBe('ping');
    await outage;
    expect(await roundTrip(proxy.port)).toBe('ping');
    expect(proxy.outages).toBe(1);
  } finally {
    await proxy.close();
  }
});
