import { X509Certificate } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { PeerCertificates } from '../../src/http/peer-certificates.js';
import { decodeCertificateBlocks } from '../../src/pki/pem.js';

/*
 * The certificates a TLS handshake hands the server, without a socket: what `tlsPeerCertificates`
 * reads from `getPeerCertificate(true)` when a client presents `cert` (PEM, leaf first) to a
 * server whose context holds `store` as its CA certificates (the ENABLED trusted certificates,
 * or none when their names do not fit; src/tls/tls-context.ts). Node builds that chain so
 * (GetPeerCert in src/crypto/crypto_common.cc): the leaf; then, again and again, the first of the
 * other certificates the client sent that issued the last one (X509_check_issued), each used
 * once; then, while the last one is not self-issued, its issuer from the context's store
 * (SSL_CTX_get_issuer; of several anchors with one name and key OpenSSL prefers one valid now,
 * a case no test has). test/tls/handshake-seam.test.ts holds this to real handshakes.
 */

/** DER, leaf first, as a handshake with this client certificate (PEM, maybe a chain) gives it. */
export function handshakeChain(cert: string, store: readonly string[]): Buffer[] {
  const sent = decodeCertificateBlocks(cert).map((der) => new X509Certificate(der));
  const first = sent.shift();
  if (!first) return [];
  const chain = [first];
  for (;;) {
    const last = chain[chain.length - 1]!;
    const next = sent.findIndex((candidate) => last.checkIssued(candidate));
    if (next < 0) break;
    chain.push(...sent.splice(next, 1));
  }
  const anchors = store.map((pem) => new X509Certificate(pem));
  for (let last = chain[chain.length - 1]!; !last.checkIssued(last); ) {
    const issuer = anchors.find((anchor) => last.checkIssued(anchor));
    if (!issuer || issuer.raw.equals(last.raw)) break;
    chain.push(issuer);
    last = issuer;
  }
  return chain.map((certificate) => certificate.raw);
}

/** The header through which an injected request carries its handshake's certificates to the seam. */
export const PEER_HEADER = 'x-test-peer-certificates';

/** The seam of an injected app: the certificates `handshakeChain` gave the request (base64 DER). */
export const injectedPeerCertificates: PeerCertificates = (request: FastifyRequest) => {
  const value = request.headers[PEER_HEADER];
  if (typeof value !== 'string' || value === '') return [];
  return value.split(',').map((b64) => Buffer.from(b64, 'base64'));
};

export const peerHeaderValue = (chain: readonly Buffer[]) =>
  chain.map((der) => der.toString('base64')).join(',');
