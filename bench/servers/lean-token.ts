/**
 * A lower bound for row (a), not a product: the leanest server I could write that makes the checks
 * and writes (a)'s token request needs, on the same stack (node:https, node:crypto on libuv's pool,
 * better-sqlite3, the mock's own certificate reader), with nothing else: no framework, no routing
 * table, no tenants but one, no options, no log, no decision record, no error bodies. What it
 * costs per token, against oauth2-mock-server (`profile-floor.ts --lean` and `--peer`), says
 * whether 1.5× the peer is within reach of any server built this way (issue 19).
 *
 * Per request, as the mock's (a): the connection's certificate is the trusted proxy's (read once
 * per connection); X-Ssl-Cert-Chain read (PEM, DER, the certificate parsed whole); the leaf's
 * issuer is the trusted certificate, its validity, its key usages, its serial not revoked, its
 * ECDSA signature checked on the pool; a new device registered; an RS256 token with the
 * platform's claims signed on the pool (the mock's own signRs256, tokenHash and xsrfToken); device
 * and token written in one transaction per turn of the event loop (WAL, synchronous NORMAL, as
 * the mock's store) before the answer.
 *
 * node --import tsx bench/servers/lean-token.ts key.pem cert.pem port anchor.pem proxy.pem data-dir
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { Certificate } from '../../src/pki/certificate.js';
import { parseChainHeader } from '../../src/pki/chain-header.js';
import { leafPasses, openLeanTokenStore, readPemCertificate, serverArguments } from './lean-token-parts.js';

const { keyFile, certFile, port, anchorFile, proxyFile, dataDir } = serverArguments(
  'keyFile',
  'certFile',
  'port',
  'anchorFile',
  'proxyFile',
  'dataDir',
);
const anchor = readPemCertificate(anchorFile);
const proxy = readPemCertificate(proxyFile).der;
const store = await openLeanTokenStore(dataDir);

const proxies = new WeakSet<TLSSocket>();
function refuse(res: import('node:http').ServerResponse, status: number): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
}

const server = createServer(
  { key: readFileSync(keyFile), cert: readFileSync(certFile), requestCert: true, rejectUnauthorized: false },
  async (req, res) => {
    req.resume();
    const socket = req.socket as TLSSocket;
    if (!proxies.has(socket)) {
      if (!socket.getPeerCertificate().raw?.equals(proxy)) return refuse(res, 401);
      proxies.add(socket);
    }
    if (req.method !== 'POST' || req.url !== '/devicecontrol/deviceAccessToken') return refuse(res, 404);
    const header = req.headers['x-ssl-cert-chain'];
    if (typeof header !== 'string') return refuse(res, 401);
    const leaf = Certificate.fromDer(parseChainHeader(header)[0]!);
    const now = Date.now();
    if (!(await leafPasses(leaf, anchor, now, store))) return refuse(res, 401);
    const jwt = await store.issue(`device_${leaf.commonNames[0]}`, now);
    const body = JSON.stringify({ accessToken: jwt });
    res
      .writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      .end(body);
  },
);
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
