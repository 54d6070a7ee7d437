// Requests Node's HTTP parser refuses never reach the app: by default Node answers them with a bare
// status line (431 for headers over its limit, 400 for the rest). They get the same problem+json with a
// catalog code as every other refusal.
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { codes } from '../errors.ts';
import { Problem, problemBody } from './middleware/problem.ts';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Content Too Large',
  431: 'Request Header Fields Too Large',
};

export function answerClientErrors(server: Pick<Server, 'on'>): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node's own handler: nothing is written to a connection that is gone, or whose current response
    // has started (a keep-alive connection's next request failing while a long answer streams out).
    const current = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || current?.headersSent) {
      socket.destroy();
      return;
    }
    let head: string;
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      // the client sent too slowly: no request to answer about, as Node answers it
      head = `HTTP/1.1 408 ${REASONS[408]}\r\nConnection: close\r\n\r\n`;
    } else {
      const problem =
        err.code === 'HPE_HEADER_OVERFLOW'
          ? new Problem(codes.HEADERS_TOO_LARGE, 'the request headers are too large')
          : err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
            ? new Problem(codes.PAYLOAD_TOO_LARGE, 'the chunk extensions are too large')
            : new Problem(codes.BAD_REQUEST, 'the request is not valid HTTP');
      const body = JSON.stringify(problemBody(problem));
      head =
        `HTTP/1.1 ${problem.status} ${REASONS[problem.status]}\r\n` +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`;
    }
    // closed once written: a client that keeps its half open does not keep the socket
    socket.end(head, () => socket.destroy());
  });
}
