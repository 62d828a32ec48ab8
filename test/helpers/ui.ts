import { call, type TestServer } from './server.js';

export interface UiClient {
  cookie: string;
  csrfToken: string;
  /** GET a dashboard API path (after /_mock/ui/api/). */
  get(path: string): ReturnType<typeof call>;
  /** A state-changing request with the session's CSRF token and a JSON body. */
  send(method: string, path: string, body?: unknown): ReturnType<typeof call>;
}

/** Signs in to the dashboard; fails the test when the sign-in is refused. */
export async function signIn(
  server: TestServer,
  credentials: { user: string; password: string } | { secret: string },
): Promise<UiClient> {
  const response = await call(server, {
    method: 'POST',
    path: '/_mock/ui/api/login',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(credentials),
  });
  if (response.status !== 200) throw new Error(`sign-in refused: ${response.status} ${response.text}`);
  const setCookie = String(response.headers['set-cookie']);
  const cookie = setCookie.split(';')[0]!;
  const { csrfToken } = response.json() as { csrfToken: string };
  return {
    cookie,
    csrfToken,
    get: (path) => call(server, { path: `/_mock/ui/api/${path}`, headers: { cookie } }),
    send: (method, path, body) =>
      call(server, {
        method,
        path: `/_mock/ui/api/${path}`,
        headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      }),
  };
}
