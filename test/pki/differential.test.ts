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
import { type OpensslVerdict, opensslVerify } from '../helpers/openssl-verify.js';

/*
 * The differential test: fast-check generates chains (key types and sizes,
 * signature algorithms and identifiers that lie, validity, basic constraints
 * and path lengths, key usages, duplicated and critical extensions, issuer
 * names, order and completeness of what is sent) and the mock's chain check
 * must reach the verdict of `openssl verify -x509_strict -purpose sslclient`
 * with the same anchor at the same instant, or differ in one of the ways
 * test/helpers/chain-differences.ts lists (and docs/security.md explains).
 *
 * DIFFERENTIAL_RUNS (default 500) and DIFFERENTIAL_SEED (default 20260601)
 * set the run (`DIFFERENTIAL_RUNS=3000 npm run test:differential` is CI's). A
 * failure prints the seed, the chain's number and, shrunk by fast-check, the
 * smallest chain that still disagrees.
 */
const RUNS = Number(process.env.DIFFERENTIAL_RUNS ?? 500);
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

/** Chains per openssl process, and processes at a time (this machine has 2 cores). */
const BATCH = 25;
const PROCESSES = 2;

async function opensslVerdicts(chains: BuiltChain[]): Promise<OpensslVerdict[]> {
  const batches: BuiltChain[][] = [];
  for (let i = 0; i < chains.length; i += BATCH) batches.push(chains.slice(i, i + BATCH));
  const verdicts: OpensslVerdict[][] = new Array(batches.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < batches.length; i = next++) {
      verdicts[i] = await opensslVerify(
        batches[i]!.map((chain) => ({
          leaf: chain.leaf,
          untrusted: chain.untrusted,
          anchors: [chain.anchor],
        })),
        now,
      );
    }
  };
  await Promise.all(Array.from({ length: PROCESSES }, worker));
  return verdicts.flat();
}

t.test(`the chain check agrees with openssl verify (${RUNS} chains, seed ${SEED})`, async (t) => {
  const started = performance.now();
  const keys = await KeyPool.generate();
  const verifier = new ChainVerifier();
  const cache = new CertificateCache();
  // The chains fast-check generates for this seed, judged in bulk: openssl checks many per process.
  const specs = fc.sample(chainSpec, { numRuns: RUNS, seed: SEED });
  const chains = specs.map((spec, id) => buildChain(spec, keys, now, id));
  const mock = chains.map((chain) => mockVerdict(chain, verifier, cache));
  const openssl = await opensslVerdicts(chains);
  const comparisons = specs.map((spec, i) => compare(spec, mock[i]!, openssl[i]!));

  const unexplained = comparisons.findIndex((c) => c.outcome === 'unexplained');
  if (unexplained >= 0) {
    // fast-check replays the same chains one by one and shrinks the first failure to its essence.
    let id = RUNS;
    const property = fc.asyncProperty(chainSpec, async (spec) => {
      const chain = buildChain(spec, keys, now, id++);
      const [verdict] = await opensslVerify(
        [{ leaf: chain.leaf, untrusted: chain.untrusted, anchors: [chain.anchor] }],
        now,
      );
      const comparison = compare(spec, mockVerdict(chain, verifier, cache), verdict!);
      if (comparison.outcome === 'unexplained') throw new Error(comparison.detail);
    });
    await t.resolves(fc.assert(property, { numRuns: RUNS, seed: SEED }), 'shrunk');
    const first = comparisons[unexplained] as { detail: string };
    t.fail(`chain ${unexplained} of seed ${SEED}: ${first.detail}\n${JSON.stringify(specs[unexplained])}`);
    return;
  }

  const count = (outcome: Comparison['outcome']) => comparisons.filter((c) => c.outcome === outcome).length;
  const differences = new Map<DifferenceId, number>();
  for (const comparison of comparisons) {
    if (comparison.outcome !== 'listed') continue;
    for (const difference of comparison.differences)
      differences.set(difference, (differences.get(difference) ?? 0) + 1);
  }
  const [bothAccept, bothRefuse, listed] = [count('both accept'), count('both refuse'), count('listed')];
  t.pass(`every disagreement is a listed one`);
  t.comment(
    `${RUNS} chains in ${Math.round(performance.now() - started)} ms: ${bothAccept + bothRefuse} agreements (${bothAccept} both accept, ${bothRefuse} both refuse), ${listed} listed disagreements`,
  );
  for (const [difference, n] of [...differences].sort((a, b) => b[1] - a[1])) {
    t.comment(`  ${difference} (${DIFFERENCES[difference].side}): ${n}`);
  }
  // The generator must reach both verdicts often, or agreement would prove little.
  t.ok(bothAccept >= RUNS / 5, `${bothAccept} chains both accept`);
  t.ok(bothRefuse >= RUNS / 5, `${bothRefuse} chains both refuse`);
});
