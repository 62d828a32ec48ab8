import type { TLSSocket } from 'node:tls';

const chains = new WeakMap<TLSSocket, Buffer[]>();

/**
 * The certificates a client sent in the TLS handshake, DER, leaf first; empty
 * when it sent none. Read once per connection: every door (HTTPS, MQTT)
 * hands these to the device login.
 */
export function peerChain(socket: TLSSocket): Buffer[] {
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
}
