// kafkajs socket factories that interfere with one request. answerTrap loses the broker's answer:
// the request reaches the broker (it takes effect), the answer is never read. requestHold delays one
// request on its way to the broker, so the cluster can change under it before the broker sees it.
// requestCounter counts requests by api key and can close the connection a request was to go on.
// kafkajs writes one whole request per write(): int32 size, int16 api key, int16 version, int32
// correlation id.
import net from 'node:net';
import type { ISocketFactory } from 'kafkajs';

export const API_KEYS = {
  Produce: 0,
  Metadata: 3,
  FindCoordinator: 10,
  AddPartitionsToTxn: 24,
  AddOffsetsToTxn: 25,
  EndTxn: 26,
  TxnOffsetCommit: 28,
} as const;

type Write = (chunk: unknown, ...rest: unknown[]) => boolean;

/**
 * A socket factory that shows every request written to a broker to `onRequest` (its api key, the
 * broker's port, the socket and the real write); `onRequest` returns what write() should, or
 * undefined to let the request go as usual.
 */
function interceptRequests(
  onRequest: (request: {
    apiKey: number;
    port: number;
    socket: net.Socket;
    send: () => boolean;
  }) => boolean | undefined,
): ISocketFactory {
  return ({ host, port, onConnect }) => {
    const socket = net.connect({ host, port }, onConnect);
    const write = socket.write.bind(socket) as Write;
    socket.write = ((chunk: unknown, ...rest: unknown[]) => {
      const send = () => write(chunk, ...rest);
      if (!Buffer.isBuffer(chunk) || chunk.length < 6) return send();
      return onRequest({ apiKey: chunk.readInt16BE(4), port, socket, send }) ?? send();
    }) as typeof socket.write;
    return socket;
  };
}

export interface AnswerTrap {
  socketFactory: ISocketFactory;
  /** The next request with this api key is sent and its answer lost; `onSent` runs right after. */
  arm(apiKey: number, onSent: () => void): void;
}

export function answerTrap(): AnswerTrap {
  let armed: { apiKey: number; onSent: () => void } | undefined;
  const socketFactory = interceptRequests(({ apiKey, socket, send }) => {
    const trap = armed;
    if (trap?.apiKey !== apiKey) return undefined;
    armed = undefined;
    const ok = send();
    // from now on nothing this connection receives reaches kafkajs
    socket.pause();
    socket.removeAllListeners('data');
    trap.onSent();
    return ok;
  });
  return {
    socketFactory,
    arm(apiKey, onSent) {
      armed = { apiKey, onSent };
    },
  };
}

export interface RequestHold {
  socketFactory: ISocketFactory;
  /** Hold the next request with this api key bound for this port; resolves once it is held. */
  arm(apiKey: number, port: number): Promise<void>;
  /** Let the held request go on to the broker. */
  release(): void;
  /** How many requests with this api key were written to this port (the held one once released). */
  written(apiKey: number, port: number): number;
}

export function requestHold(): RequestHold {
  let armed: { apiKey: number; port: number; onHeld: () => void } | undefined;
  let held: (() => void) | undefined;
  const counts = new Map<string, number>();
  const count = (apiKey: number, port: number) =>
    counts.set(`${apiKey}@${port}`, (counts.get(`${apiKey}@${port}`) ?? 0) + 1);
  const socketFactory = interceptRequests(({ apiKey, port, send }) => {
    const trap = armed;
    if (trap?.apiKey === apiKey && trap.port === port) {
      armed = undefined;
      held = () => {
        count(apiKey, port);
        send();
      };
      trap.onHeld();
      return true;
    }
    count(apiKey, port);
    return undefined;
  });
  return {
    socketFactory,
    arm: (apiKey, port) =>
      new Promise<void>((resolve) => {
        armed = { apiKey, port, onHeld: resolve };
      }),
    release() {
      const send = held;
      held = undefined;
      if (!send) throw new Error('no request is held');
      send();
    },
    written: (apiKey, port) => counts.get(`${apiKey}@${port}`) ?? 0,
  };
}

export interface RequestCounter {
  socketFactory: ISocketFactory;
  /** How many requests with this api key were written (a cut one is not). */
  count(apiKey: number): number;
  /** The next request with this api key is not sent: its connection is reset instead. */
  cut(apiKey: number): void;
}

export function requestCounter(): RequestCounter {
  const counts = new Map<number, number>();
  let cutting: number | undefined;
  const socketFactory = interceptRequests(({ apiKey, socket }) => {
    if (cutting === apiKey) {
      cutting = undefined;
      // as a broker that went away: kafkajs hears of it through 'error' (a bare destroy() only closes)
      socket.destroy(Object.assign(new Error('connection reset (test)'), { code: 'ECONNRESET' }));
      return false;
    }
    counts.set(apiKey, (counts.get(apiKey) ?? 0) + 1);
    return undefined;
  });
  return {
    socketFactory,
    count: (apiKey) => counts.get(apiKey) ?? 0,
    cut(apiKey) {
      cutting = apiKey;
    },
  };
}
