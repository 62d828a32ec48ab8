// The dashboard's JSON API. State-changing requests carry the session's CSRF
// token; errors come back as Cumulocity error bodies whose message is shown.

let csrfToken = '';
let onSignedOut = () => {};

export function setCsrfToken(token) {
  csrfToken = token;
}

/** Called when the server says the session is gone (401). */
export function whenSignedOut(callback) {
  onSignedOut = callback;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `The server answered ${status}.`);
    this.status = status;
    this.body = body;
  }
}

export async function api(path, { method = 'GET', body } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  const response = await fetch(`/_mock/ui/api/${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = { message: `The server answered ${response.status} with something that is not JSON.` };
  }
  if (!response.ok) {
    if (response.status === 401 && path !== 'login') onSignedOut();
    throw new ApiError(response.status, data);
  }
  return data;
}
