import { connect as tcpConnect } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import type { Endpoint } from './server.js';
import { clientContext } from './tls-client.js';

export interface RawResponse {
  /** Everything the server sent before the connection closed. */
  text: string;
  status: number | undefined;
  headers: Record<string, string>;
  body: string;
  /** Why the exchange ended: the server closed, or our bound ran out. */
  ended: 'closed' | 'timeout';
}

/** Splits raw HTTP/1.1 response bytes into status, headers (lower-case names) and body. */
export function parseRawResponse(text: string): Pick<RawResponse, 'status' | 'headers' | 'body'> {
  const split = text.indexOf('\r\n\r\n');
  const head = split < 0 ? text : text.slice(0, split);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
  return {
    status: status === undefined ? undefined : Number(status),
    headers,
    body: split < 0 ? '' : text.slice(split + 4),
  };
}

export interface RawOptions {
  cert?: string;
  key?: string;
  /** Called once the TLS handshake is done: write whatever the test needs, as slowly as it likes. */
  send: (socket: TLSSocket) => void;
  /** Upper bound on the whole exchange; the socket is destroyed when it runs out. */
  timeoutMs: number;
}

/**
 * One TLS connection driven byte by byte: for requests an HTTP client refuses to
 * send (raw newlines, megabyte headers) and for slow clients. Resolves with what
 * the server answered once it closes the connection, or when `timeoutMs` runs out.
 */
export function rawExchange(server: Endpoint, options: RawOptions): Promise<RawResponse> {
  return new Promise((resolve) => {
    let text = '';
    let ended: RawResponse['ended'] = 'closed';
    const socket = connect(
      {
        host: '127.0.0.1',
        port: server.port,
        servername: 'localhost',
        secureContext: clientContext({ ca: server.serverCa, cert: options.cert, key: options.key }),
      },
      () => options.send(socket),
    );
    const bound = setTimeout(() => {
      ended = 'timeout';
      socket.destroy();
    }, options.timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
    });
    socket.on('error', () => {}); // a reset after the answer is not the test's concern
    socket.on('close', () => {
      clearTimeout(bound);
      resolve({ text, ...parseRawResponse(text), ended });
    });
  });
}

/** Writes `total` bytes of `fill` with back-pressure, then `tail`. */
export function writeLarge(socket: TLSSocket, head: string, total: number, tail: string, fill = 'A'): void {
  const chunk = fill.repeat(16 * 1024);
  let sent = 0;
  socket.write(head);
  const step = () => {
    while (sent < total && !socket.destroyed) {
      const piece = chunk.slice(0, Math.min(chunk.length, total - sent));
      sent += piece.length;
      if (!socket.write(piece)) {
        socket.once('drain', step);
        return;
      }
    }
    if (!socket.destroyed) socket.write(tail);
  };
  step();
}

/** Writes `pieces` one at a time, `everyMs` apart, until they run out or the socket closes. */
export function writeSlowly(socket: TLSSocket, pieces: string[], everyMs: number): void {
  const timer = setInterval(() => {
    const next = pieces.shift();
    if (next === undefined || socket.destroyed || !socket.writable) {
      clearInterval(timer);
      return;
    }
    socket.write(next);
  }, everyMs);
  socket.on('close', () => clearInterval(timer));
}

/** A plain TCP connection that never starts TLS: resolves 'closed' when the server drops it. */
export function silentTcp(port: number, timeoutMs: number): Promise<'closed' | 'timeout'> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    const bound = setTimeout(() => {
      socket.destroy();
      resolve('timeout');
    }, timeoutMs);
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(bound);
      resolve('closed');
    });
  });
}
