import t from 'tap';
import { Certificate } from '../../src/pki/certificate.js';
import { commonName, issueCertificate } from '../../src/pki/certificate-factory.js';
import { ChainVerifier } from '../../src/pki/chain-verifier.js';
import { type Anchor, TrustIndex } from '../../src/pki/trust-index.js';
import { x509 } from '../../src/pki/x509.js';
import { buildChain, KeyPool } from '../helpers/chain-builder.js';
import { type ChainSpec, simpleChain } from '../helpers/chain-spec.js';
import { TEST_NOW } from '../helpers/clock.js';
import { withBrokenSignature } from '../helpers/hostile-certs.js';
import { DAY, device, intermediateCa, rootCa, validAround } from '../helpers/pki.js';

const now = TEST_NOW;
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

// --- rules that agree with OpenSSL (issue 17) ---------------------------------------------------
const keys = await KeyPool.generate(6, ['ec-p256', 'rsa-2048', 'ed25519']);
let chainId = 0;
/** The mock's verdict on a chain made by the differential test's builder, sent whole, its last CA trusted. */
const judge = (spec: ChainSpec) => {
  const chain = buildChain(spec, keys, now, chainId++);
  const leaf = Certificate.fromDer(chain.leaf);
  const sent = chain.untrusted.map((der) => Certificate.fromDer(der).withReadableKey());
  return verify([leaf], [leaf, ...sent], [anchor(Certificate.fromDer(chain.anchor), 't')]);
};

t.test('the signature algorithm must fit the issuer key', async (t) => {
  const underIntermediate = judge(simpleChain({ algorithm: 'other-family' }, {}, {}));
  t.match(underIntermediate, { ok: false, rule: 'signature-algorithm' }, 'ECDSA signature labelled RSA');
  t.match(
    underIntermediate.reason,
    /signature algorithm SHA256withRSA does not fit the issuer's EC P-256 key/,
  );
  const underAnchor = judge(simpleChain({ algorithm: 'other-family' }, {}));
  t.match(underAnchor, { ok: false, rule: 'signature-algorithm' }, 'directly under the trusted certificate');
  t.match(underAnchor.reason, /trusted certificate 't anchor'/);
  const rsaIssuer = judge(simpleChain({ algorithm: 'other-family' }, { key: 'rsa-2048' }));
  t.match(
    rsaIssuer.reason,
    /SHA256withECDSA does not fit the issuer's RSA 2048 key/,
    'RSA signature labelled ECDSA',
  );
  t.match(judge(simpleChain({}, { key: 'ed25519' }, { key: 'rsa-2048', hash: 'sha512' })), { ok: true });
});

t.test('only extensions the check processes may be critical', async (t) => {
  const aki = judge(simpleChain({ authorityKeyId: { critical: true, matches: true } }, {}));
  t.match(aki, { ok: false, rule: 'critical-extensions' });
  t.match(aki.reason, /authorityKeyIdentifier \(2\.5\.29\.35\)/);
  for (const name of ['nameConstraints', 'policyConstraints', 'crlDistributionPoints'] as const) {
    t.match(
      judge(simpleChain({}, { other: { name, critical: true } }, {})),
      { ok: false, rule: 'critical-extensions' },
      `a critical ${name} is not processed`,
    );
    t.match(
      judge(simpleChain({}, { other: { name, critical: false } }, {})),
      { ok: true },
      `${name} not critical`,
    );
  }
  const policies = { critical: true, qualifier: false, anyPolicy: false };
  t.match(
    judge(simpleChain({ policies }, {})),
    { ok: true },
    'critical certificatePolicies without qualifiers',
  );
  const qualified = judge(simpleChain({ policies: { ...policies, qualifier: true } }, {}));
  t.match(qualified, { ok: false, rule: 'certificate-policies' }, 'critical certificatePolicies with a CPS');
  t.match(qualified.reason, /1\.3\.6\.1\.4\.1\.55555\.100\.1/);
  t.match(
    judge(simpleChain({ policies: { ...policies, qualifier: true, critical: false } }, {})),
    { ok: true },
    'qualifiers in a non-critical certificatePolicies',
  );
  for (const extension of [
    { extKeyUsage: { purposes: ['clientAuth' as const], critical: true } },
    { other: { name: 'subjectAltName' as const, critical: true } },
  ]) {
    t.match(
      judge(simpleChain(extension, {})),
      { ok: true },
      `critical ${Object.keys(extension)[0]} is processed`,
    );
  }
});

t.test("the leaf's usages must allow a TLS client", async (t) => {
  const server = judge(
    simpleChain({ extKeyUsage: { purposes: ['serverAuth', 'codeSigning'], critical: true } }, {}),
  );
  t.match(server, { ok: false, rule: 'leaf-extended-key-usage' });
  t.match(server.reason, /extendedKeyUsage serverAuth, codeSigning without clientAuth/);
  t.match(
    judge(simpleChain({ extKeyUsage: { purposes: ['any'], critical: false } }, {})),
    { ok: true },
    'any',
  );
  t.match(judge(simpleChain({ extKeyUsage: null }, {})), { ok: true }, 'no extendedKeyUsage');
  const agreement = judge(simpleChain({ keyUsage: { bits: ['keyAgreement'], critical: true } }, {}));
  t.match(agreement, { ok: false, rule: 'leaf-key-usage' });
  t.match(agreement.reason, /keyUsage keyAgreement without digitalSignature/);
  t.match(judge(simpleChain({ keyUsage: null }, {})), { ok: true }, 'no keyUsage');
  t.match(judge(simpleChain({ netscapeCertType: { sslClient: false } }, {})), {
    ok: false,
    rule: 'leaf-netscape-cert-type',
  });
  t.match(judge(simpleChain({ netscapeCertType: { sslClient: true } }, {})), { ok: true });
  t.match(
    judge(simpleChain({}, { extKeyUsage: { purposes: ['serverAuth'], critical: false } }, {})),
    { ok: true },
    "a CA's extendedKeyUsage is not the leaf's (RFC 5280, Java; OpenSSL differs)",
  );
});

t.test('issuer names match as RFC 5280 compares them', async (t) => {
  for (const issuerName of ['printable-string', 'upper-case', 'extra-spaces'] as const) {
    t.match(judge(simpleChain({ issuerName }, {}, {})), { ok: true }, `${issuerName}, under an intermediate`);
    t.match(judge(simpleChain({ issuerName }, {})), { ok: true }, `${issuerName}, under the anchor`);
  }
  t.match(judge(simpleChain({ issuerName: 'other' }, {}, {})), { ok: false, rule: 'trusted-anchor' });
});

t.test('a SHA-1 collision inherits nothing: signatures and anchors are known by SHA-256', async (t) => {
  const verifier = new ChainVerifier();
  const trust = new TrustIndex([anchor(root.certificate, 't')]);
  const genuine = (await device(root, now, 'sha1-twin')).credential.certificate;
  t.equal(verifier.verify({ tls: [genuine], header: [] }, trust, { now }).ok, true, 'the genuine leaf');
  // Two certificates with one SHA-1 fingerprint, as a chosen-prefix collision would make them.
  const forged = withBrokenSignature(genuine);
  Object.defineProperty(forged, 'fingerprint', { value: genuine.fingerprint });
  t.match(
    verifier.verify({ tls: [forged], header: [] }, trust, { now }),
    { ok: false, rule: 'trusted-anchor' },
    "the forged twin does not inherit the genuine one's verified signature",
  );
  const impostor = await rootCa(now, 'Root');
  Object.defineProperty(impostor.certificate, 'fingerprint', { value: root.certificate.fingerprint });
  const underImpostor = (await device(impostor, now, 'sha1-impostor')).credential.certificate;
  t.match(
    verifier.verify({ tls: [underImpostor], header: [impostor.certificate] }, trust, { now }),
    { ok: false, rule: 'trusted-anchor' },
    'a CA sharing the anchor fingerprint is not the anchor',
  );
});

t.test('ten certificates presented, eleven to the anchor: the path is too long', async (t) => {
  // The anchor is not presented: the ten presented pass the count, the path with the anchor not.
  let issuer = root;
  const cas = [];
  for (let i = 0; i < 9; i++) {
    issuer = await intermediateCa(issuer, now, `Long ${i}`);
    cas.push(issuer.certificate);
  }
  const long = (await device(issuer, now, 'long-leaf')).credential.certificate;
  const verdict = verify([long], cas.reverse(), [anchor(root.certificate, 't100')]);
  t.match(verdict, {
    ok: false,
    rule: 'chain-length',
    reason: 'the path to the anchor has 11 certificates; at most 10 are allowed',
  });
  const shorter = verify([long], cas.slice(0, 8), [anchor(cas[8]!, 't100')]);
  t.equal(shorter.ok, true, 'with the anchor one step nearer, 10 certificates: accepted');
});

t.test('anchors of one name in two tenants: each device finds the one that signed it', async (t) => {
  const first = await rootCa(now, 'Shared Name CA');
  const second = await rootCa(now, 'Shared Name CA');
  const ofSecond = (await device(second, now, 'shared-name-02')).credential.certificate;
  const anchors = [anchor(first.certificate, 't100'), anchor(second.certificate, 't200')];
  t.equal(new TrustIndex(anchors).issuersOf(ofSecond).length, 2, 'both are issuers by name');
  t.match(verify([ofSecond], [], anchors), { ok: true, anchor: { tenantId: 't200' } });
});

t.test(
  'signatures checked ahead off the main thread (prepare) give the verdicts verify gives alone',
  async (t) => {
    const direct = (await device(root, now, 'direct-1')).credential.certificate;
    const impostor = await rootCa(now, 'Root');
    const forged = (await device(impostor, now, 'forged-ahead')).credential.certificate;
    const broken = withBrokenSignature(direct);
    const mismatched = buildChain(simpleChain({ algorithm: 'other-family' }, {}), keys, now, chainId++);
    const mismatchedLeaf = Certificate.fromDer(mismatched.leaf);
    const cases: [string, Certificate[], Certificate[], Anchor[]][] = [
      ['a leaf under the anchor', [direct], [], [anchor(root.certificate, 't')]],
      [
        'a leaf under an intermediate it sends',
        [leaf],
        [intermediate.certificate],
        [anchor(root.certificate, 't')],
      ],
      ['a forged leaf with the anchor name', [forged], [], [anchor(root.certificate, 't')]],
      [
        'a forged leaf and its forger in the header',
        [forged],
        [impostor.certificate],
        [anchor(root.certificate, 't')],
      ],
      ['a broken signature', [broken], [], [anchor(root.certificate, 't')]],
      [
        'an algorithm that does not fit the key',
        [mismatchedLeaf],
        [],
        [anchor(Certificate.fromDer(mismatched.anchor), 't')],
      ],
    ];
    for (const [name, tls, header, anchors] of cases) {
      const alone = new ChainVerifier().verify({ tls, header }, new TrustIndex(anchors), { now });
      const ahead = new ChainVerifier();
      await ahead.prepare({ tls, header }, new TrustIndex(anchors));
      const verdict = ahead.verify({ tls, header }, new TrustIndex(anchors), { now });
      t.same([verdict.ok, verdict.rule, verdict.reason], [alone.ok, alone.rule, alone.reason], name);
    }
    const ed25519 = buildChain(simpleChain({}, { key: 'ed25519' }), keys, now, chainId++);
    const ed25519Issuer = Certificate.fromDer(ed25519.anchor).withReadableKey();
    for (const [child, issuer] of [
      [direct, root.certificate],
      [forged, root.certificate],
      [broken, root.certificate],
      [leaf, intermediate.certificate],
      [Certificate.fromDer(ed25519.leaf), ed25519Issuer],
    ] as const) {
      t.equal(
        await issuer.signedOffThread(child),
        issuer.signed(child),
        `${child.subject}: as signed() says`,
      );
    }
    t.equal(
      await Certificate.fromDer(mismatched.anchor).withReadableKey().signedOffThread(mismatchedLeaf),
      undefined,
      'a key that cannot have made the signature: left to the synchronous check',
    );
  },
);

t.test('prepare: nothing presented, a result already known, and at most four checks', async (t) => {
  const ahead = new ChainVerifier();
  const trust = new TrustIndex([anchor(root.certificate, 't')]);
  await ahead.prepare({ tls: [], header: [] }, trust);
  const direct = (await device(root, now, 'prepared-twice')).credential.certificate;
  await ahead.prepare({ tls: [direct], header: [] }, trust);
  await ahead.prepare({ tls: [direct], header: [] }, trust);
  t.match(ahead.verify({ tls: [direct], header: [] }, trust, { now }), { ok: true });
  // Six trusted certificates with the leaf's issuer name, one of them its issuer: the verdict is unchanged.
  const namesakes = await Promise.all(Array.from({ length: 6 }, () => rootCa(now, 'Root')));
  const crowded = new TrustIndex([
    ...namesakes.map((ca, i) => anchor(ca.certificate, `t${i}`)),
    anchor(root.certificate, 't'),
  ]);
  const fresh = (await device(root, now, 'crowded')).credential.certificate;
  const alone = new ChainVerifier().verify({ tls: [fresh], header: [] }, crowded, { now });
  const crowdedAhead = new ChainVerifier();
  await crowdedAhead.prepare({ tls: [fresh], header: [] }, crowded);
  const verdict = crowdedAhead.verify({ tls: [fresh], header: [] }, crowded, { now });
  t.same([verdict.ok, verdict.anchor?.tenantId], [alone.ok, alone.anchor?.tenantId]);
  t.equal(verdict.anchor?.tenantId, 't', 'the anchor that signed it');
});
