import { X509Certificate } from 'node:crypto';
import t from 'tap';
import { type PeerCertificates, tlsPeerCertificates } from '../../src/http/peer-certificates.js';
import { exportPrivateKeyPem } from '../../src/pki/certificate-factory.js';
import { TEST_NOW } from '../helpers/clock.js';
import { handshakeChain } from '../helpers/handshake.js';
import { device, intermediateCa, rootCa } from '../helpers/pki.js';
import { adminSeed } from '../helpers/seeds.js';
import { requestToken, startServer, type TestServer } from '../helpers/server.js';

/*
 * Most tests drive the app through inject and hand it, through the seam, the certificates a TLS
 * handshake would give it (helpers/handshake.ts). Here that stand-in meets real handshakes: for
 * each client chain and each server trust, the certificates tlsPeerCertificates reads from the
 * socket are the ones handshakeChain computes, in the same order.
 */
const now = TEST_NOW;
const root = await rootCa(now, 'Seam Root');
const issuing = await intermediateCa(root, now, 'Seam Issuing CA');
const leaf = await device(issuing, now, 'seam-leaf');
const direct = await device(root, now, 'seam-direct');
const otherRoot = await rootCa(now, 'Seam Other Root');
const stranger = await device(otherRoot, now, 'seam-stranger');
// The name of the issuing CA, another key and issuer: it must not pass for the leaf's issuer.
const lookAlike = await intermediateCa(otherRoot, now, 'Seam Issuing CA');
const selfSigned = await rootCa(now, 'Seam Self-signed Client');
const selfKey = await exportPrivateKeyPem(selfSigned.keys.privateKey);
const pem = (...credentials: { certificate: { pem: string } }[]) =>
  credentials.map((c) => c.certificate.pem).join('');
const cn = (der: Buffer) => /CN=([^\n]+)/.exec(new X509Certificate(der).subject)?.[1] ?? '?';

interface Served {
  server: TestServer;
  store: string[];
  seen: () => Buffer[];
}

async function serve(anchors: { certificate: { pem: string } }[]): Promise<Served> {
  let seen: Buffer[] = [];
  const capture: PeerCertificates = (request) => {
    seen = tlsPeerCertificates(request);
    return seen;
  };
  const store = anchors.map((a) => a.certificate.pem);
  const server = await startServer(t, {
    listen: true,
    peerCertificates: capture,
    seed: adminSeed([{ id: 't100', trusted: store.map((p) => ({ pem: p })) }]),
  });
  return { server, store, seen: () => seen };
}

const trustsRoot = await serve([root]);
const trustsNothing = await serve([]);
const trustsIssuing = await serve([issuing]);

const cases: [string, Served, string, string][] = [
  ['the leaf alone, its issuer not in the store', trustsRoot, leaf.certPem, leaf.keyPem],
  ['leaf and issuing CA, the root in the store', trustsRoot, pem(leaf.credential, issuing), leaf.keyPem],
  [
    'leaf, root, issuing CA: issuers in any order',
    trustsRoot,
    pem(leaf.credential, root, issuing),
    leaf.keyPem,
  ],
  ['an unrelated certificate sent along', trustsRoot, pem(leaf.credential, otherRoot, issuing), leaf.keyPem],
  ['a look-alike issuer sent along', trustsRoot, pem(leaf.credential, lookAlike), leaf.keyPem],
  ['look-alike and real issuer', trustsRoot, pem(leaf.credential, lookAlike, issuing), leaf.keyPem],
  ['a leaf of the trusted root', trustsRoot, direct.certPem, direct.keyPem],
  ['the same, no CA names in the store', trustsNothing, direct.certPem, direct.keyPem],
  ['a stranger', trustsRoot, stranger.certPem, stranger.keyPem],
  ['a self-signed client certificate', trustsRoot, selfSigned.certificate.pem, ''],
  ['the issuing CA in the store, not its root', trustsIssuing, leaf.certPem, leaf.keyPem],
];

t.test('the seam gets what a real handshake gives', async (t) => {
  for (const [name, served, cert, key] of cases) {
    const response = await requestToken(served.server, { cert, key: key || selfKey });
    t.ok(response.status > 0, `${name}: answered (${response.status})`);
    const real = served.seen().map(cn);
    t.ok(real.length > 0, `${name}: the handshake carried certificates`);
    t.same(handshakeChain(cert, served.store).map(cn), real, `${name}: ${real.join(' < ')}`);
  }
});
