// Requests Node's HTTP parser refuses never reach the app: by default Node answers them with a bare
// status line (431 for headers over its limit, 400 for the rest). They get the same problem+json with a
// catalog code as every other refusal.
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { codes } from '../errors.ts';
import { Problem, problemBody } from './middleware/problem.ts';

export function answerClientErrors(server: Pick<Server, 'on'>): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // a connection that is gone, or that already had an answer started, gets nothing more
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const problem =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? new Problem(codes.HEADERS_TOO_LARGE, 'the request headers are too large')
        : new Problem(codes.BAD_REQUEST, 'the request is not valid HTTP');
    const body = JSON.stringify(problemBody(problem));
    socket.end(
      `HTTP/1.1 ${problem.status} ${problem.status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
}
