import { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { peerChain } from '../tls/peer-chain.js';

/**
 * The seam through which client certificates enter: DER, leaf first. The
 * default reads the TLS handshake; tests and embedders can pass their own.
 * The array stands for its connection: the device login reads it once and
 * remembers the connection's last login by it, so a seam returns a new array
 * for another connection (or every request) and never changes one it returned.
 */
export type PeerCertificates = (request: FastifyRequest) => Buffer[];

/** The chain the client sent in the TLS handshake, read once per connection. */
export const tlsPeerCertificates: PeerCertificates = (request) => {
  const socket = request.raw.socket;
  return socket instanceof TLSSocket ? peerChain(socket) : [];
};
