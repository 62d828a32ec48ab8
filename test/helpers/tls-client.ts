import type { RequestOptions } from 'node:https';
import { createSecureContext, type SecureContext } from 'node:tls';

export interface ClientIdentity {
  /** The CA the client trusts for the server's certificate (PEM). */
  ca: string;
  cert?: string;
  key?: string;
  ciphers?: string;
}

const contexts = new Map<string, SecureContext>();

/**
 * The client's TLS context for `identity`, made once per test process. Given PEM options, Node
 * makes a new context for every connection and reads each PEM through OpenSSL's decoders again:
 * 2 ms of CPU per request, a third of the crash test's. A context keeps no session (Node resumes
 * only a session it is given), so every connection still makes a full handshake; a context that
 * cannot be made throws each time, as the options would.
 */
export function clientContext(identity: ClientIdentity): SecureContext {
  const key = [identity.ca, identity.cert ?? '', identity.key ?? '', identity.ciphers ?? ''].join('\0');
  let context = contexts.get(key);
  if (!context) {
    context = createSecureContext({
      ca: identity.ca,
      ...(identity.cert ? { cert: identity.cert } : {}),
      ...(identity.key ? { key: identity.key } : {}),
      ...(identity.ciphers ? { ciphers: identity.ciphers } : {}),
    });
    contexts.set(key, context);
  }
  return context;
}

/**
 * `clientContext` as an option of `https.request`, which passes it on to `tls.connect`
 * (@types/node's `RequestOptions` lists only the PEM options).
 */
export function httpsContext(identity: ClientIdentity): RequestOptions {
  return { secureContext: clientContext(identity) } as RequestOptions;
}
