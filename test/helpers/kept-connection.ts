import { Agent, request } from 'node:https';
import { type ClientResponse, readResponse, type TestServer } from './server.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/**
 * One keep-alive TLS connection to a listening test server, with a client certificate: every
 * request goes over it, as a device that keeps its connection sends them. `connections()` counts
 * the sockets used, for a test to show that it stayed one.
 */
export function keptConnection(
  t: Teardown,
  server: TestServer,
  client: { cert: string; key: string },
): {
  send(
    method: string,
    path: string,
    headers?: Record<string, string>,
    body?: string,
  ): Promise<ClientResponse>;
  connections(): number;
} {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: server.serverCa, ...client });
  t.teardown(() => agent.destroy());
  const sockets = new Set<unknown>();
  const send = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
    new Promise<ClientResponse>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: server.port,
          servername: 'localhost',
          method,
          path,
          agent,
          headers: { host: `localhost:${server.port}`, ...headers },
        },
        (res) => readResponse(res).then(resolve, reject),
      );
      req.on('socket', (socket) => sockets.add(socket));
      req.on('error', reject);
      req.end(body);
    });
  return { send, connections: () => sockets.size };
}
