import t from 'tap';
import type { Certificate } from '../../src/pki/certificate.js';
import { commonName, issueCertificate } from '../../src/pki/certificate-factory.js';
import { ChainVerifier } from '../../src/pki/chain-verifier.js';
import { type Anchor, TrustIndex } from '../../src/pki/trust-index.js';
import { x509 } from '../../src/pki/x509.js';
import { DAY, device, intermediateCa, rootCa, validAround } from '../helpers/pki.js';

const now = Date.parse('2026-06-01T12:00:00.000Z');
const root = await rootCa(now, 'Root');
const intermediate = await intermediateCa(root, now, 'Issuing');
const leaf = (await device(intermediate, now, 'dev-1')).credential.certificate;

const anchor = (certificate: Certificate, tenantId: string, extra: Partial<Anchor> = {}): Anchor => ({
  certificate,
  tenantId,
  name: `${tenantId} anchor`,
  enabled: true,
  autoRegistrationEnabled: true,
  proofOfPossessionValid: false,
  ...extra,
});
const verifier = new ChainVerifier();
const verify = (tls: Certificate[], header: Certificate[], anchors: Anchor[], at = now) =>
  verifier.verify({ tls, header }, new TrustIndex(anchors), { now: at });

t.test('the anchor nearest the leaf wins, unless another has proof of possession', async (t) => {
  const both = [anchor(root.certificate, 't-root'), anchor(intermediate.certificate, 't-issuing')];
  const nearest = verify([leaf], [intermediate.certificate], both);
  t.equal(nearest.ok, true);
  t.equal(nearest.anchor?.tenantId, 't-issuing', 'the intermediate is nearer');
  const withPop = verify(
    [leaf],
    [intermediate.certificate],
    [anchor(root.certificate, 't-root', { proofOfPossessionValid: true }), both[1]!],
  );
  t.equal(withPop.anchor?.tenantId, 't-root', 'proof of possession decides');
  t.same(
    withPop.steps.map((s) => s.role),
    ['leaf', 'intermediate', 'anchor'],
  );
  t.ok(
    withPop.steps.every((s) => s.checks.every((c) => c.ok)),
    'every check passed',
  );
});

t.test('a disabled anchor is skipped when an enabled one exists', async (t) => {
  const verdict = verify(
    [leaf],
    [intermediate.certificate],
    [anchor(intermediate.certificate, 't-issuing', { enabled: false }), anchor(root.certificate, 't-root')],
  );
  t.equal(verdict.anchor?.tenantId, 't-root');
  const only = verify(
    [leaf],
    [intermediate.certificate],
    [anchor(intermediate.certificate, 't-issuing', { enabled: false })],
  );
  t.match(only, { ok: false, rule: 'anchor-enabled' });
  t.match(only.reason, /is DISABLED/);
});

t.test('the anchor may be sent in the chain, and an expired anchor is refused', async (t) => {
  const verdict = verify(
    [leaf],
    [intermediate.certificate, root.certificate],
    [anchor(root.certificate, 't')],
  );
  t.equal(verdict.ok, true);
  const late = verify(
    [leaf],
    [intermediate.certificate],
    [anchor(root.certificate, 't')],
    now + 20 * 365 * DAY,
  );
  t.match(late, { ok: false, rule: 'not-expired' });
});

t.test('loops and duplicates in the presented chain end', async (t) => {
  const a = await rootCa(now, 'Loop');
  const b = await intermediateCa(a, now, 'Loop');
  // b claims issuer "Loop" which is also its own subject name: a self-issued loop.
  const verdict = verify([b.certificate], [b.certificate, b.certificate, a.certificate], []);
  t.equal(verdict.ok, false);
  t.equal(verdict.rule, 'trusted-anchor');
});

t.test('rules on each certificate', async (t) => {
  const sha1Leaf = await issueCertificate({
    issuer: intermediate,
    subject: commonName('sha1'),
    hash: 'SHA-1',
    ...validAround(now),
  });
  t.match(verify([sha1Leaf.certificate], [intermediate.certificate], [anchor(root.certificate, 't')]), {
    ok: false,
    rule: 'signature-algorithm',
  });

  const caLeaf = await issueCertificate({
    issuer: intermediate,
    subject: commonName('ca-leaf'),
    basicConstraints: { ca: true },
    ...validAround(now),
  });
  t.match(verify([caLeaf.certificate], [intermediate.certificate], [anchor(root.certificate, 't')]), {
    ok: false,
    rule: 'leaf-not-ca',
  });

  const critical = await issueCertificate({
    issuer: intermediate,
    subject: commonName('critical'),
    extensions: [new x509.Extension('1.3.6.1.4.1.99999.1', true, new Uint8Array([5, 0]))],
    ...validAround(now),
  });
  const verdict = verify([critical.certificate], [intermediate.certificate], [anchor(root.certificate, 't')]);
  t.match(verdict, { ok: false, rule: 'critical-extensions' });
  t.match(verdict.reason, /1\.3\.6\.1\.4\.1\.99999\.1/);

  const signOnly = await issueCertificate({
    issuer: root,
    subject: commonName('No keyCertSign'),
    basicConstraints: { ca: true },
    keyUsage: x509.KeyUsageFlags.digitalSignature,
    ...validAround(now),
  });
  const under = (await device(signOnly, now, 'under-sign-only')).credential.certificate;
  t.match(verify([under], [signOnly.certificate], [anchor(root.certificate, 't')]), {
    ok: false,
    rule: 'issuer-key-usage',
  });

  const weakRoot = await rootCa(now, 'Weak RSA', { keySpec: { type: 'rsa', bits: 1024 } });
  const weakLeaf = (await device(weakRoot, now, 'weak')).credential.certificate;
  t.match(verify([weakLeaf], [], [anchor(weakRoot.certificate, 't')]), { ok: false, rule: 'key-size' });
});

t.test('a wrong signature is named', async (t) => {
  const impostor = await rootCa(now, 'Root'); // same name, different key
  const forged = (await device(impostor, now, 'forged')).credential.certificate;
  const verdict = verify([forged], [], [anchor(root.certificate, 't')]);
  t.match(verdict, { ok: false, rule: 'trusted-anchor' }, 'a name match alone does not anchor');
  const viaPool = verify([forged], [impostor.certificate], [anchor(root.certificate, 't')]);
  t.equal(viaPool.ok, false);
});
