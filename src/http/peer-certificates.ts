import { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';

/**
 * The seam through which client certificates enter: DER, leaf first. The
 * default reads the TLS handshake; tests and embedders can pass their own.
 */
export type PeerCertificates = (request: FastifyRequest) => Buffer[];

const chains = new WeakMap<TLSSocket, Buffer[]>();

/** The chain the client sent in the TLS handshake, read once per connection. */
export const tlsPeerCertificates: PeerCertificates = (request) => {
  const socket = request.raw.socket;
  if (!(socket instanceof TLSSocket)) return [];
  let chain = chains.get(socket);
  if (!chain) {
    chain = [];
    let peer = socket.getPeerCertificate(true);
    const seen = new Set<string>();
    while (peer?.raw && !seen.has(peer.fingerprint256)) {
      seen.add(peer.fingerprint256);
      chain.push(peer.raw);
      peer = peer.issuerCertificate;
    }
    chains.set(socket, chain);
  }
  return chain;
};
