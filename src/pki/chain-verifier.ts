import { LRUCache } from 'lru-cache';
import { isoDate, type Span } from '../clock.js';
import { type Certificate, EXTENSION_NAMES, KEY_PURPOSES, KEY_USAGES } from './certificate.js';
import type { Anchor, TrustIndex } from './trust-index.js';

/** The platform's limit on certificates in a chain, anchor included (Cumulocity cloud). */
export const MAX_CHAIN_LENGTH = 10;

/** How many of a leaf's signatures `prepare` checks ahead at most: a hostile header cannot make it more. */
const PREPARED_SIGNATURES = 4;

const WEAK_SIGNATURES = new Set(['1.2.840.113549.1.1.4', '1.2.840.113549.1.1.5', '1.2.840.10045.4.1']);
const MIN_RSA_BITS = 2048;
const DIGITAL_SIGNATURE = 0;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';
const NETSCAPE_SSL_CLIENT = 0;

/** Names of the rules, as they appear in refusals, the decision log and the dashboard. */
export type ChainRule =
  | 'certificate-present'
  | 'leaf-matches-tls'
  | 'chain-length'
  | 'trusted-anchor'
  | 'anchor-enabled'
  | 'not-revoked'
  | 'signature'
  | 'not-yet-valid'
  | 'not-expired'
  | 'issuer-is-ca'
  | 'issuer-key-usage'
  | 'path-length'
  | 'leaf-not-ca'
  | 'signature-algorithm'
  | 'key-size'
  | 'critical-extensions'
  | 'certificate-policies'
  | 'leaf-key-usage'
  | 'leaf-extended-key-usage'
  | 'leaf-netscape-cert-type';

export interface Check {
  rule: ChainRule;
  ok: boolean;
  message: string;
}

export interface ChainStep {
  role: 'leaf' | 'intermediate' | 'anchor';
  certificate: Certificate;
  checks: Check[];
}

/**
 * When the dates of every step pass, the only checks of a verdict that read the time: the same
 * chain, anchors and lists get the same verdict at any instant of it.
 */
export function datesPass(steps: readonly ChainStep[]): Span {
  let from = Number.NEGATIVE_INFINITY;
  let until = Number.POSITIVE_INFINITY;
  for (const { certificate } of steps) {
    from = Math.max(from, certificate.notBefore);
    // Valid up to and including notAfter (see #checkCertificate); the clock and the dates are whole milliseconds.
    until = Math.min(until, certificate.notAfter + 1);
  }
  return { from, until };
}

export interface ChainVerdict {
  ok: boolean;
  /** The first failed rule and its reason, when refused. */
  rule?: ChainRule;
  reason?: string;
  anchor?: Anchor;
  leaf?: Certificate;
  /** Leaf to anchor, each with the rules checked on it. */
  steps: ChainStep[];
  /** Checks that belong to no single certificate (presence, length, trust). */
  checks: Check[];
}

export interface PresentedChain {
  /** From the TLS handshake, leaf first; empty when the client sent none. */
  tls: Certificate[];
  /** From X-Ssl-Cert-Chain, in header order. */
  header: Certificate[];
  /** A trusted proxy terminated TLS: the header alone names the leaf. */
  forwarded?: boolean;
}

export interface VerifyOptions {
  now: number;
  /** Whether a certificate's serial is on the tenant's CRL with the offline check enabled. */
  isRevoked?: (tenantId: string, certificate: Certificate) => boolean;
}

/**
 * Checks a presented chain against the trusted certificates of every tenant and
 * says, rule by rule, why it passed or failed. Signature results are cached by
 * the certificates' SHA-256 (a SHA-1 collision must not inherit a verified
 * signature); everything that can change (dates, anchor status, CRL) is
 * checked on every call.
 */
export class ChainVerifier {
  readonly #signatures = new LRUCache<string, boolean>({ max: 50_000 });

  /**
   * Checks on libuv's pool, before `verify`, the signatures `verify` will need first: the leaf's,
   * by each trusted certificate or presented certificate with its issuer's name (at most
   * PREPARED_SIGNATURES). `verify` then finds them in its cache, keyed by both certificates'
   * SHA-256 like every result it keeps, and decides everything else itself as always. A new
   * device's ECDSA verification leaves the main thread (issue 19). Undefined when there is nothing
   * to check ahead.
   */
  prepare(presented: PresentedChain, trust: TrustIndex): Promise<void> | undefined {
    const selected = selectLeaf(presented);
    if ('rule' in selected) return undefined;
    const { leaf, pool } = selected;
    const issuers = [
      ...trust.issuersOf(leaf).map((anchor) => anchor.certificate),
      ...pool.filter((c) => leaf.namesIssuer(c)),
    ];
    const checks: { key: string; ok: Promise<boolean | undefined> }[] = [];
    for (const issuer of issuers) {
      if (checks.length === PREPARED_SIGNATURES) break;
      const key = `${leaf.sha256}>${issuer.sha256}`;
      if (this.#signatures.has(key)) continue;
      checks.push({ key, ok: issuer.signedOffThread(leaf) });
    }
    // Nothing to wait for (a device seen before): no promise, no turn of the microtask queue.
    if (checks.length === 0) return undefined;
    return this.#remember(checks);
  }

  /** What could not be checked ahead (undefined, or an error) is left to verify, which decides alone. */
  async #remember(checks: { key: string; ok: Promise<boolean | undefined> }[]): Promise<void> {
    if (checks.length === 1) {
      // A new device under one issuer, nearly every time: one promise, without allSettled's array.
      const { key, ok } = checks[0]!;
      const result = await ok.catch(() => undefined);
      if (result !== undefined) this.#signatures.set(key, result);
      return;
    }
    const results = await Promise.allSettled(checks.map((check) => check.ok));
    for (const [i, result] of results.entries()) {
      if (result.status === 'fulfilled' && result.value !== undefined) {
        this.#signatures.set(checks[i]!.key, result.value);
      }
    }
  }

  verify(presented: PresentedChain, trust: TrustIndex, options: VerifyOptions): ChainVerdict {
    const checks: Check[] = [];
    const refuse = (
      rule: ChainRule,
      reason: string,
      steps: ChainStep[] = [],
      anchor?: Anchor,
    ): ChainVerdict => {
      checks.push({ rule, ok: false, message: reason });
      return { ok: false, rule, reason, steps, checks, ...(anchor ? { anchor } : {}) };
    };

    const selected = selectLeaf(presented);
    if ('rule' in selected) return refuse(selected.rule, selected.reason);
    const { leaf, pool } = selected;
    checks.push(...selected.checks);

    const presentedCount = new Set([...presented.tls, ...presented.header].map((c) => c.sha256)).size;
    if (presentedCount > MAX_CHAIN_LENGTH) {
      return refuse(
        'chain-length',
        `the chain has ${presentedCount} certificates; at most ${MAX_CHAIN_LENGTH} are allowed`,
      );
    }

    const { found: candidates, misses } = this.#findAnchors(leaf, pool, trust);
    const enabled = candidates.filter((c) => c.anchor.enabled);
    if (enabled.length === 0) {
      const path = this.#walkPool(leaf, pool);
      const steps = path.map((certificate, i) => ({
        role: i === 0 ? ('leaf' as const) : ('intermediate' as const),
        certificate,
        checks: [],
      }));
      const disabled = candidates[0];
      if (disabled) {
        return refuse(
          'anchor-enabled',
          `trusted certificate '${disabled.anchor.name}' (fingerprint ${disabled.anchor.certificate.fingerprint}) of tenant ${disabled.anchor.tenantId} is DISABLED`,
          steps,
          disabled.anchor,
        );
      }
      // A trusted issuer whose key cannot have made the signature it is named for: say so.
      const mismatch = misses.find((m) => m.mismatch && m.anchor.enabled);
      if (mismatch) {
        return refuse(
          'signature-algorithm',
          `${mismatch.child.label}: ${mismatch.mismatch} (trusted certificate '${mismatch.anchor.name}', fingerprint ${mismatch.anchor.certificate.fingerprint}, of tenant ${mismatch.anchor.tenantId})`,
          steps,
        );
      }
      const top = path[path.length - 1] ?? leaf;
      const miss = misses[0];
      return refuse(
        'trusted-anchor',
        `no tenant trusts this chain: no trusted certificate is, or issued, any of its ${path.length} certificate(s); the top one is ${top.label}, issued by '${top.issuer}'${
          miss
            ? `; trusted certificate '${miss.anchor.name}' (fingerprint ${miss.anchor.certificate.fingerprint}) of tenant ${miss.anchor.tenantId} has the name of the issuer of ${miss.child.label} but its key does not verify that signature`
            : ''
        }`,
        steps,
      );
    }
    // Proof of possession decides between tenants; then the anchor nearest the leaf.
    enabled.sort(
      (a, b) =>
        Number(b.anchor.proofOfPossessionValid) - Number(a.anchor.proofOfPossessionValid) ||
        a.depth - b.depth,
    );
    const chosen = enabled[0]!;
    const { anchor } = chosen;
    checks.push({
      rule: 'trusted-anchor',
      ok: true,
      message: `anchored at trusted certificate '${anchor.name}' (fingerprint ${anchor.certificate.fingerprint}) of tenant ${anchor.tenantId}`,
    });
    checks.push({
      rule: 'anchor-enabled',
      ok: true,
      message: `trusted certificate '${anchor.name}' is ENABLED`,
    });

    const path = [...chosen.path, anchor.certificate];
    if (path.length > MAX_CHAIN_LENGTH) {
      return refuse(
        'chain-length',
        `the path to the anchor has ${path.length} certificates; at most ${MAX_CHAIN_LENGTH} are allowed`,
      );
    }
    checks.push({
      rule: 'chain-length',
      ok: true,
      message: `${path.length} certificates, at most ${MAX_CHAIN_LENGTH} allowed`,
    });

    const steps = path.map((_, i) =>
      this.#checkCertificate(
        path,
        i,
        i === path.length - 1 ? 'anchor' : i === 0 ? 'leaf' : 'intermediate',
        options.now,
      ),
    );

    // The platform checks revocation before anything else.
    const revoked = options.isRevoked
      ? path.find((certificate) => options.isRevoked?.(anchor.tenantId, certificate))
      : undefined;
    if (revoked) {
      return refuse(
        'not-revoked',
        `serial ${revoked.serialHex} of ${revoked.label} is revoked in tenant ${anchor.tenantId}'s CRL`,
        steps,
        anchor,
      );
    }
    for (const step of steps) {
      const failed = step.checks.find((check) => !check.ok);
      if (failed) return { ok: false, rule: failed.rule, reason: failed.message, anchor, steps, checks };
    }
    return { ok: true, anchor, leaf, steps, checks };
  }

  /**
   * Every trusted certificate that anchors the leaf, following issuers through
   * the pool; and the trusted certificates that have an issuer's name but did
   * not sign, for the refusal to name.
   */
  #findAnchors(
    leaf: Certificate,
    pool: Certificate[],
    trust: TrustIndex,
  ): {
    found: { anchor: Anchor; path: Certificate[]; depth: number }[];
    misses: { anchor: Anchor; child: Certificate; mismatch: string | undefined }[];
  } {
    const found: { anchor: Anchor; path: Certificate[]; depth: number }[] = [];
    const misses: { anchor: Anchor; child: Certificate; mismatch: string | undefined }[] = [];
    const path = this.#walkPool(leaf, pool);
    for (let i = 0; i < path.length; i++) {
      const certificate = path[i]!;
      const itself = i > 0 ? trust.bySha256(certificate.sha256) : undefined;
      if (itself) found.push({ anchor: itself, path: path.slice(0, i), depth: i });
      for (const anchor of trust.issuersOf(certificate)) {
        if (anchor === itself) continue;
        if (this.#signedBy(certificate, anchor.certificate)) {
          found.push({ anchor, path: path.slice(0, i + 1), depth: i + 1 });
        } else {
          misses.push({ anchor, child: certificate, mismatch: anchor.certificate.keyMismatch(certificate) });
        }
      }
    }
    return { found, misses };
  }

  /** Leaf, then each next issuer found among the presented certificates, without loops. */
  #walkPool(leaf: Certificate, pool: Certificate[]): Certificate[] {
    const path = [leaf];
    const seen = new Set([leaf.sha256]);
    let current = leaf;
    while (path.length <= MAX_CHAIN_LENGTH && !current.selfIssued) {
      const issuers = pool.filter((c) => current.namesIssuer(c) && !seen.has(c.sha256));
      const next = issuers.find((c) => this.#signedBy(current, c)) ?? issuers[0];
      if (!next) break;
      path.push(next);
      seen.add(next.sha256);
      current = next;
    }
    return path;
  }

  #signedBy(child: Certificate, issuer: Certificate): boolean {
    const key = `${child.sha256}>${issuer.sha256}`;
    let ok = this.#signatures.get(key);
    if (ok === undefined) {
      try {
        ok = issuer.signed(child);
      } catch {
        ok = false;
      }
      this.#signatures.set(key, ok);
    }
    return ok;
  }

  #checkCertificate(path: Certificate[], index: number, role: ChainStep['role'], now: number): ChainStep {
    const certificate = path[index]!;
    const checks: Check[] = [];
    const check = (rule: ChainRule, ok: boolean, message: string) => checks.push({ rule, ok, message });

    if (now < certificate.notBefore) {
      check(
        'not-yet-valid',
        false,
        `${certificate.label} is not valid before ${isoDate(certificate.notBefore)}`,
      );
    } else if (now > certificate.notAfter) {
      check('not-expired', false, `${certificate.label} expired on ${isoDate(certificate.notAfter)}`);
    } else {
      check('not-expired', true, certificate.validityText);
    }

    const key = certificate.keyDescription;
    const bits = /^RSA (\d+)$/.exec(key)?.[1];
    if (bits !== undefined && Number(bits) < MIN_RSA_BITS) {
      check(
        'key-size',
        false,
        `${certificate.label} has a ${key}-bit key; at least ${MIN_RSA_BITS} bits are required`,
      );
    }

    if (certificate.unprocessedCriticalExtensions.length > 0) {
      const names = certificate.unprocessedCriticalExtensions.map((oid) =>
        EXTENSION_NAMES[oid] ? `${EXTENSION_NAMES[oid]} (${oid})` : oid,
      );
      check(
        'critical-extensions',
        false,
        `${certificate.label} has critical extension(s) this platform does not process: ${names.join(', ')}`,
      );
    }

    if (certificate.criticalPolicyQualifiers.length > 0) {
      // RFC 5280 4.2.1.4: a critical certificatePolicies must be understood "including the
      // optional qualifier", or the certificate rejected; Java's PKIX validation rejects them.
      check(
        'certificate-policies',
        false,
        `${certificate.label} has a critical certificatePolicies extension whose policies carry qualifiers (${certificate.criticalPolicyQualifiers.join(', ')}); qualifiers are not processed, so the extension must not be critical`,
      );
    }

    if (role === 'leaf' && certificate.isCa) {
      check(
        'leaf-not-ca',
        false,
        `${certificate.label} is a CA certificate (basicConstraints CA:true); a device certificate must not be`,
      );
    }
    if (role === 'leaf') checks.push(...leafChecks(certificate));

    if (index > 0) {
      // `certificate` issued path[index - 1]; (index - 1) CA certificates sit between it and the leaf.
      if (!certificate.isCa) {
        check(
          'issuer-is-ca',
          false,
          `${certificate.label} signs another certificate but lacks basicConstraints CA:true`,
        );
      } else {
        check('issuer-is-ca', true, 'basicConstraints CA:true');
        const below = index - 1;
        if (certificate.pathLen !== undefined && below > certificate.pathLen) {
          check(
            'path-length',
            false,
            `${certificate.label} allows ${certificate.pathLen} intermediate CA(s) below it (pathLenConstraint) but ${below} follow`,
          );
        } else if (certificate.pathLen !== undefined) {
          check(
            'path-length',
            true,
            `pathLenConstraint ${certificate.pathLen}, ${below} intermediate CA(s) below`,
          );
        }
      }
      if (!certificate.allowsCertificateSigning) {
        check(
          'issuer-key-usage',
          false,
          `${certificate.label} signs another certificate but its keyUsage lacks keyCertSign`,
        );
      }
    }

    if (index < path.length - 1) {
      const issuer = path[index + 1]!;
      if (WEAK_SIGNATURES.has(certificate.signatureOid)) {
        check(
          'signature-algorithm',
          false,
          `${certificate.label} is signed with ${certificate.algorithmName}, which is not accepted`,
        );
      }
      const mismatch = issuer.keyMismatch(certificate);
      if (mismatch) {
        check('signature-algorithm', false, `${certificate.label}: ${mismatch} ${issuer.label}`);
      }
      if (this.#signedBy(certificate, issuer)) {
        check(
          'signature',
          true,
          `signature verifies with the key of '${issuer.subject}' (${certificate.algorithmName})`,
        );
      } else {
        check(
          'signature',
          false,
          `the signature of ${certificate.label} does not verify with the key of ${issuer.label}`,
        );
      }
    }
    return { role, certificate, checks };
  }
}

/**
 * What a TLS client certificate must allow, as Java's TLS checks it
 * (sun.security.validator.EndEntityChecker, TLS client variant), which is what
 * the platform's handshake refusals look like: when present, keyUsage must
 * include digitalSignature (the key signs the handshake), extendedKeyUsage
 * clientAuth or anyExtendedKeyUsage, and netscapeCertType the SSL client bit.
 */
function leafChecks(leaf: Certificate): Check[] {
  const checks: Check[] = [];
  const { keyUsage, extendedKeyUsage, netscapeCertType } = leaf;
  if (keyUsage) {
    const names = KEY_USAGES.filter((_, bit) => keyUsage[bit]).join(', ') || 'no usage';
    checks.push(
      keyUsage[DIGITAL_SIGNATURE]
        ? { rule: 'leaf-key-usage', ok: true, message: `keyUsage ${names} includes digitalSignature` }
        : {
            rule: 'leaf-key-usage',
            ok: false,
            message: `${leaf.label} has keyUsage ${names} without digitalSignature; a TLS client certificate's key must be allowed to sign`,
          },
    );
  }
  if (extendedKeyUsage) {
    const names = extendedKeyUsage.map((oid) => KEY_PURPOSES[oid] ?? oid).join(', ');
    const allowed = extendedKeyUsage.some((oid) => oid === CLIENT_AUTH || oid === ANY_EXTENDED_KEY_USAGE);
    checks.push(
      allowed
        ? {
            rule: 'leaf-extended-key-usage',
            ok: true,
            message: `extendedKeyUsage ${names} allows TLS clients`,
          }
        : {
            rule: 'leaf-extended-key-usage',
            ok: false,
            message: `${leaf.label} has extendedKeyUsage ${names} without clientAuth (1.3.6.1.5.5.7.3.2); a device certificate must allow TLS client authentication`,
          },
    );
  }
  if (netscapeCertType && !netscapeCertType[NETSCAPE_SSL_CLIENT]) {
    checks.push({
      rule: 'leaf-netscape-cert-type',
      ok: false,
      message: `${leaf.label} has a netscapeCertType extension without the SSL client bit`,
    });
  }
  return checks;
}

type LeafSelection =
  | { leaf: Certificate; pool: Certificate[]; checks: Check[] }
  | { rule: ChainRule; reason: string };

/**
 * Which certificate is the device's. The header may hold the whole chain, only
 * the intermediates (the leaf then comes from TLS), or only the leaf; when TLS
 * presented a certificate and the header holds a leaf, they must be the same.
 */
function selectLeaf({ tls, header, forwarded }: PresentedChain): LeafSelection {
  const tlsLeaf = forwarded ? undefined : tls[0];
  const rest = forwarded ? [] : tls.slice(1);
  const first = header[0];
  if (!tlsLeaf) {
    if (forwarded && first) {
      return {
        leaf: first,
        pool: header.slice(1),
        checks: [
          {
            rule: 'certificate-present',
            ok: true,
            message: 'leaf taken from X-Ssl-Cert-Chain forwarded by a trusted proxy',
          },
        ],
      };
    }
    return {
      rule: 'certificate-present',
      reason:
        first === undefined
          ? 'no client certificate: the TLS handshake presented none and X-Ssl-Cert-Chain is absent'
          : 'no client certificate in the TLS handshake; X-Ssl-Cert-Chain alone does not authenticate a device',
    };
  }
  const present: Check = {
    rule: 'certificate-present',
    ok: true,
    message: `client certificate ${tlsLeaf.label} presented in the TLS handshake`,
  };
  if (!first) return { leaf: tlsLeaf, pool: rest, checks: [present] };
  if (first.sha256 === tlsLeaf.sha256) {
    return {
      leaf: tlsLeaf,
      pool: [...header.slice(1), ...rest],
      checks: [
        present,
        {
          rule: 'leaf-matches-tls',
          ok: true,
          message: 'X-Ssl-Cert-Chain starts with the TLS client certificate',
        },
      ],
    };
  }
  if (first.isCa || tlsLeaf.namesIssuer(first)) {
    return {
      leaf: tlsLeaf,
      pool: [...header, ...rest],
      checks: [
        present,
        {
          rule: 'leaf-matches-tls',
          ok: true,
          message: 'X-Ssl-Cert-Chain holds the issuers of the TLS client certificate',
        },
      ],
    };
  }
  return {
    rule: 'leaf-matches-tls',
    reason: `the leaf in X-Ssl-Cert-Chain, ${first.label}, is not the TLS client certificate ${tlsLeaf.label}`,
  };
}
