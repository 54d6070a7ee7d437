// A kafkajs socket factory that can lose the broker's answer to one request: the request reaches the
// broker (it takes effect), the answer is never read. kafkajs writes one whole request per write():
// int32 size, int16 api key, int16 version, int32 correlation id.
import net from 'node:net';
import type { ISocketFactory } from 'kafkajs';

export const API_KEYS = { EndTxn: 26 } as const;

export interface AnswerTrap {
  socketFactory: ISocketFactory;
  /** The next request with this api key is sent and its answer lost; `onSent` runs right after. */
  arm(apiKey: number, onSent: () => void): void;
}

export function answerTrap(): AnswerTrap {
  let armed: { apiKey: number; onSent: () => void } | undefined;
  const socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
    const socket = net.connect({ host, port }, onConnect);
    const write = socket.write.bind(socket) as (chunk: unknown, ...rest: unknown[]) => boolean;
    socket.write = ((chunk: unknown, ...rest: unknown[]) => {
      const trap = armed;
      if (trap && Buffer.isBuffer(chunk) && chunk.length >= 6 && chunk.readInt16BE(4) === trap.apiKey) {
        armed = undefined;
        const ok = write(chunk, ...rest);
        // from now on nothing this connection receives reaches kafkajs
        socket.pause();
        socket.removeAllListeners('data');
        trap.onSent();
        return ok;
      }
      return write(chunk, ...rest);
    }) as typeof socket.write;
    return socket;
  };
  return {
    socketFactory,
    arm(apiKey, onSent) {
      armed = { apiKey, onSent };
    },
  };
}
