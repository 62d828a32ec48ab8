import { connect, createSecureContext, type SecureContext } from 'node:tls';
import autocannon from 'autocannon';

export interface LoadResult {
  requests: number;
  /** 2xx answers per second. */
  rps: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  /** Answers that were not 2xx, and connection errors/timeouts. */
  non2xx: number;
  errors: number;
}

export interface TlsClient {
  cert: string;
  key: string;
  ca: string;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summarize(
  latencies: number[],
  ok: number,
  non2xx: number,
  errors: number,
  seconds: number,
): LoadResult {
  latencies.sort((a, b) => a - b);
  return {
    requests: ok + non2xx,
    rps: ok / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    non2xx,
    errors,
  };
}

export interface KeepAliveOptions {
  url: string;
  connections: number;
  seconds: number;
  tls?: TlsClient | undefined;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Headers that change with every request (e.g. another device's chain). */
  perRequest?: () => Record<string, string>;
}

/** Keep-alive load with autocannon: `connections` connections, each one request at a time. */
export async function keepAlive(options: KeepAliveOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let ok = 0;
  let non2xx = 0;
  const perRequest = options.perRequest;
  let finish: (result: autocannon.Result) => void = () => {};
  let fail: (error: Error) => void = () => {};
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon(
    {
      url: options.url,
      connections: options.connections,
      pipelining: 1,
      duration: options.seconds,
      method: options.method ?? 'GET',
      headers: options.headers ?? {},
      ...(options.body !== undefined ? { body: options.body } : {}),
      ...(options.tls
        ? {
            tlsOptions: {
              cert: options.tls.cert,
              key: options.tls.key,
              ca: options.tls.ca,
              servername: 'localhost',
            },
          }
        : {}),
      ...(perRequest
        ? {
            requests: [
              {
                setupRequest: (request: autocannon.Request) => ({
                  ...request,
                  headers: { ...request.headers, ...perRequest() },
                }),
              },
            ],
          }
        : {}),
    } as autocannon.Options,
    (error, result) => (error ? fail(error) : finish(result)),
  );
  instance.on('response', (_client: unknown, status: number, _bytes: number, responseTime: number) => {
    if (status >= 200 && status < 300) {
      ok++;
      latencies.push(responseTime);
    } else {
      non2xx++;
    }
  });
  const result = await done;
  return summarize(latencies, ok, non2xx, result.errors + result.timeouts, options.seconds);
}

export interface NewConnectionOptions {
  host: string;
  port: number;
  concurrency: number;
  seconds: number;
  tls: TlsClient;
  method: 'GET' | 'POST';
  path: string;
}

/**
 * A new TLS connection with a client certificate for every request, no
 * session resumption. One SecureContext is built once and shared: building it
 * per connection would measure the client, not the server.
 */
export async function newConnectionEach(options: NewConnectionOptions): Promise<LoadResult> {
  const context: SecureContext = createSecureContext({
    cert: options.tls.cert,
    key: options.tls.key,
    ca: options.tls.ca,
  });
  const request = Buffer.from(
    `${options.method} ${options.path} HTTP/1.1\r\nHost: localhost:${options.port}\r\nAccept: application/json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
  );
  const latencies: number[] = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  const deadline = performance.now() + options.seconds * 1000;
  const once = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const socket = connect({
        host: options.host,
        port: options.port,
        servername: 'localhost',
        secureContext: context,
      });
      let head = '';
      socket.on('secureConnect', () => socket.write(request));
      socket.on('data', (chunk: Buffer) => {
        if (head.length < 16) head += chunk.toString('latin1', 0, 16);
      });
      socket.on('close', () => {
        const status = Number(head.slice(9, 12));
        if (status >= 200 && status < 300) {
          ok++;
          latencies.push(performance.now() - started);
        } else if (status > 0) {
          non2xx++;
        } else {
          errors++;
        }
        resolve();
      });
      socket.on('error', () => socket.destroy());
    });
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < deadline) await once();
    }),
  );
  return summarize(latencies, ok, non2xx, errors, options.seconds);
}
