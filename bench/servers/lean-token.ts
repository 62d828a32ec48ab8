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
import { webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import Database from 'better-sqlite3';
import { Certificate } from '../../src/pki/certificate.js';
import { parseChainHeader } from '../../src/pki/chain-header.js';
import { decodeCertificateBlocks } from '../../src/pki/pem.js';
import { tokenHash, xsrfToken } from '../../src/tokens/token-hash.js';
import { DEVICE_TOKEN_CONFIG, type DeviceTokenClaims, signRs256 } from '../../src/tokens/token-issuer.js';

const [keyFile, certFile, port, anchorFile, proxyFile, dataDir] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const readPem = (file: string) =>
  Certificate.fromDer(decodeCertificateBlocks(readFileSync(file, 'utf8'))[0]!);
const anchor = readPem(anchorFile);
const proxy = readPem(proxyFile).der;
// Signed as the mock signs (its own signRs256, on libuv's pool), with a key of the same kind.
const { privateKey: signingKey } = await webcrypto.subtle.generateKey(
  {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  },
  true,
  ['sign', 'verify'],
);
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

const db = new Database(join(dataDir, 'lean.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(`CREATE TABLE devices (name TEXT PRIMARY KEY, created INTEGER NOT NULL);
  CREATE TABLE revoked (serial TEXT PRIMARY KEY);
  CREATE TABLE tokens (hash TEXT PRIMARY KEY, user TEXT NOT NULL, jwt TEXT NOT NULL, iat INTEGER, exp INTEGER)`);
const insertDevice = db.prepare('INSERT INTO devices (name, created) VALUES (?, ?)');
const isRevoked = db.prepare('SELECT 1 FROM revoked WHERE serial = ?').pluck();
const insertToken = db.prepare('INSERT INTO tokens (hash, user, jwt, iat, exp) VALUES (?, ?, ?, ?, ?)');
const knownDevices = new Set<string>();

/** The writes of one turn of the event loop in one transaction; each caller resumes after it. */
let queued: { write: () => void; done: () => void }[] = [];
const flush = db.transaction((writes: typeof queued) => {
  for (const w of writes) w.write();
});
function commit(write: () => void): Promise<void> {
  return new Promise((done) => {
    if (queued.length === 0)
      setImmediate(() => {
        const writes = queued;
        queued = [];
        flush(writes);
        for (const w of writes) w.done();
      });
    queued.push({ write, done });
  });
}

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
    if (
      !leaf.namesIssuer(anchor) ||
      now < leaf.notBefore ||
      now > leaf.notAfter ||
      leaf.isCa ||
      leaf.keyUsage?.[0] === false ||
      (leaf.extendedKeyUsage !== undefined && !leaf.extendedKeyUsage.includes(CLIENT_AUTH)) ||
      isRevoked.get(leaf.serialHex) !== undefined ||
      !(await anchor.signedOffThread(leaf))
    )
      return refuse(res, 401);
    const user = `device_${leaf.commonNames[0]}`;
    const isNew = !knownDevices.has(user);
    if (isNew) knownDevices.add(user);
    const iat = Math.floor(now / 1000);
    const claims: DeviceTokenClaims = {
      jti: null,
      iss: 'localhost',
      aud: 'localhost',
      sub: user,
      tci: DEVICE_TOKEN_CONFIG,
      iat,
      nbf: iat,
      exp: iat + 3600,
      tfa: false,
      ten: 't100',
      xsrfToken: xsrfToken(),
    };
    const jwt = await signRs256(claims, signingKey);
    await commit(() => {
      if (isNew) insertDevice.run(user, now);
      insertToken.run(tokenHash(jwt), user, jwt, iat, claims.exp);
    });
    const body = JSON.stringify({ accessToken: jwt });
    res
      .writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      .end(body);
  },
);
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
