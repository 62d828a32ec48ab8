import { request } from 'node:https';

export interface HealthCheckOptions {
  /** Where the mock listens, e.g. https://localhost:8443. */
  origin: string;
  /** PEM of the CA that issued the mock's server certificate (the development CA). */
  ca: string;
  timeoutMs: number;
}

export interface HealthResult {
  healthy: boolean;
  /** One line for `docker inspect`'s health log. */
  detail: string;
}

/**
 * `GET /_mock/health` over TLS, trusting only the development CA: healthy when it
 * answers 200 with `status: UP`. Never throws; a refusal or timeout is unhealthy.
 */
export function checkHealth({ origin, ca, timeoutMs }: HealthCheckOptions): Promise<HealthResult> {
  const url = new URL('/_mock/health', origin);
  return new Promise((resolve) => {
    const req = request(url, { ca, timeout: timeoutMs, headers: { accept: 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => {
        const status = parseStatus(body);
        resolve({
          healthy: res.statusCode === 200 && status === 'UP',
          detail: `${url.href}: ${res.statusCode} ${status ?? body.slice(0, 200)}`,
        });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => resolve({ healthy: false, detail: `${url.href}: ${error.message}` }));
    req.end();
  });
}

function parseStatus(body: string): string | undefined {
  try {
    const status = (JSON.parse(body) as { status?: unknown }).status;
    return typeof status === 'string' ? status : undefined;
  } catch {
    return undefined;
  }
}
