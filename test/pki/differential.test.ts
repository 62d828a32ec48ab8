import fc from 'fast-check';
import t from 'tap';
import { CertificateFormatError } from '../../src/pki/certificate.js';
import { CertificateCache } from '../../src/pki/certificate-cache.js';
import { ChainVerifier } from '../../src/pki/chain-verifier.js';
import { TrustIndex } from '../../src/pki/trust-index.js';
import { type BuiltChain, buildChain, KeyPool } from '../helpers/chain-builder.js';
import {
  type Comparison,
  compare,
  DIFFERENCES,
  type DifferenceId,
  type MockVerdict,
} from '../helpers/chain-differences.js';
import { chainSpec } from '../helpers/chain-spec.js';
import { opensslVerify } from '../helpers/openssl-verify.js';

/*
 * The differential test: fast-check generates chains (key types and sizes,
 * signature algorithms and identifiers that lie, validity, basic constraints
 * and path lengths, key usages, duplicated and critical extensions, issuer
 * names, order and completeness of what is sent) and the mock's chain check
 * must reach the verdict of `openssl verify -x509_strict -purpose sslclient`
 * with the same anchor at the same instant, or differ in one of the ways
 * test/helpers/chain-differences.ts lists (and docs/security.md explains).
 *
 * DIFFERENTIAL_RUNS (default 300) and DIFFERENTIAL_SEED (default 20260601)
 * set the run; `npm run test:differential` is the larger one. A failure prints
 * the seed and the shrunk chain.
 */
const RUNS = Number(process.env.DIFFERENTIAL_RUNS ?? 300);
const SEED = Number(process.env.DIFFERENTIAL_SEED ?? 20_260_601);
const now = Date.parse('2026-06-01T12:00:00.000Z');

/** The mock's verdict as the token endpoint reaches it: parse (400) or chain check (401). */
function mockVerdict(chain: BuiltChain, verifier: ChainVerifier, cache: CertificateCache): MockVerdict {
  try {
    const anchor = cache.get(chain.anchor).withReadableKey();
    const leaf = cache.get(chain.leaf);
    const sent = chain.untrusted.map((der) => cache.get(der).withReadableKey());
    const trust = new TrustIndex([
      {
        certificate: anchor,
        tenantId: 't100',
        name: 'anchor',
        enabled: true,
        autoRegistrationEnabled: true,
        proofOfPossessionValid: false,
      },
    ]);
    const verdict = verifier.verify({ tls: [leaf], header: [leaf, ...sent] }, trust, { now });
    return {
      ok: verdict.ok,
      ...(verdict.rule ? { rule: verdict.rule } : {}),
      ...(verdict.reason ? { reason: verdict.reason } : {}),
      failed: [
        ...verdict.checks.filter((c) => !c.ok).map((c) => ({ ...c, position: null })),
        ...verdict.steps.flatMap((step, position) =>
          step.checks.filter((c) => !c.ok).map((c) => ({ ...c, position })),
        ),
      ],
    };
  } catch (error) {
    if (!(error instanceof CertificateFormatError)) throw error;
    return { ok: false, rule: 'parse', reason: error.message, failed: [] };
  }
}

t.test(`the chain check agrees with openssl verify (${RUNS} chains, seed ${SEED})`, async (t) => {
  const keys = new KeyPool();
  const verifier = new ChainVerifier();
  const cache = new CertificateCache();
  const tally = { chains: 0, bothAccept: 0, bothRefuse: 0, listed: 0 };
  const differences = new Map<DifferenceId, number>();
  let id = 0;
  const started = Date.now();
  const property = fc.asyncProperty(chainSpec, async (spec) => {
    const chain = buildChain(spec, keys, now, id++);
    const mock = mockVerdict(chain, verifier, cache);
    const openssl = await opensslVerify(chain.leaf, chain.untrusted, [chain.anchor], now);
    const comparison: Comparison = compare(spec, mock, openssl);
    if (comparison.outcome === 'unexplained') throw new Error(comparison.detail);
    tally.chains++;
    if (comparison.outcome === 'listed') {
      tally.listed++;
      for (const difference of comparison.differences)
        differences.set(difference, (differences.get(difference) ?? 0) + 1);
    } else if (comparison.outcome === 'both accept') tally.bothAccept++;
    else tally.bothRefuse++;
  });
  await t.resolves(fc.assert(property, { numRuns: RUNS, seed: SEED }), 'no disagreement left unexplained');

  const agreements = tally.bothAccept + tally.bothRefuse;
  t.comment(
    `${tally.chains} chains in ${Date.now() - started} ms: ${agreements} agreements (${tally.bothAccept} both accept, ${tally.bothRefuse} both refuse), ${tally.listed} listed disagreements`,
  );
  for (const [difference, count] of [...differences].sort((a, b) => b[1] - a[1])) {
    t.comment(`  ${difference} (${DIFFERENCES[difference].side}): ${count}`);
  }
  // The generator must reach both verdicts often, or agreement would prove little.
  t.ok(tally.bothAccept >= RUNS / 5, `${tally.bothAccept} chains both accept`);
  t.ok(tally.bothRefuse >= RUNS / 5, `${tally.bothRefuse} chains both refuse`);
});
