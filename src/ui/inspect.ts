import { decodeJwt, decodeProtectedHeader } from 'jose';
import { type Clock, toSeconds } from '../clock.js';
import { type CertificateSummary, certificateSummary } from '../decisions/decision-log.js';
import { BadRequest, C8yError } from '../errors.js';
import { UnreadableChain } from '../login/certificate-reader.js';
import type { ChainCheck } from '../login/chain-check.js';
import type { Certificate } from '../pki/certificate.js';
import type { ChainStep, Check } from '../pki/chain-verifier.js';
import type { Tenants } from '../tenants/tenants.js';
import type { TokenAuthenticator } from '../tokens/token-authenticator.js';
import { tokenHash } from '../tokens/token-hash.js';
import type { Tokens } from '../tokens/tokens.js';
import type { Viewer } from './sessions.js';

const RESOURCE = 'dashboard';

/** A certificate as the decision log summarises it, and what the dashboard shows besides. */
export interface CertificateView extends CertificateSummary {
  key: string;
  signatureAlgorithm: string;
  isCa: boolean;
}

export interface ChainReport {
  ok: boolean;
  rule?: string | undefined;
  reason?: string | undefined;
  tenantId?: string | undefined;
  anchor?: { name: string; fingerprint: string } | undefined;
  /** Checks on the chain as a whole, then each certificate's, leaf to anchor: the decision log's words. */
  chainChecks: Check[];
  steps: { role: ChainStep['role']; certificate: CertificateView; checks: Check[] }[];
  /** How many certificates were pasted. */
  presented: number;
}

export interface TokenReport {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  hash: string;
  /** Issued by this mock and still in its state. */
  known: boolean;
  valid: boolean;
  rule?: string | undefined;
  reason?: string | undefined;
  now: number;
}

const certificateView = (c: Certificate): CertificateView => ({
  ...certificateSummary(c),
  key: c.keyDescription,
  signatureAlgorithm: c.algorithmName,
  isCa: c.isCa,
});

/**
 * Checks a pasted chain (leaf first) exactly as the token endpoint would for a
 * device behind a trusted proxy: the same verifier, the same rules, the same words.
 */
export function checkChain(chains: ChainCheck, viewer: Viewer, text: string): ChainReport {
  let header: Certificate[];
  try {
    header = chains.reader.chain(chains.reader.header(text));
  } catch (error) {
    if (error instanceof UnreadableChain) {
      throw new BadRequest(RESOURCE, `Cannot parse the certificate chain: ${error.message}.`);
    }
    throw error;
  }
  if (header.length === 0) {
    throw new BadRequest(
      RESOURCE,
      'Paste or upload at least one PEM certificate, the device certificate first.',
    );
  }
  // A tenant administrator's chain meets their tenant's anchors; the mock administrator's, every tenant's.
  const verdict = chains.verifyForwarded(header, viewer.kind === 'admin' ? undefined : viewer.tenantId);
  return {
    ok: verdict.ok,
    rule: verdict.rule,
    reason: verdict.reason,
    tenantId: verdict.anchor?.tenantId,
    anchor: verdict.anchor && {
      name: verdict.anchor.name,
      fingerprint: verdict.anchor.certificate.fingerprint,
    },
    chainChecks: verdict.checks.map((check) =>
      // The verifier runs in its trusted-proxy mode; for a pasted chain that is simply the first certificate.
      check.rule === 'certificate-present' && check.ok
        ? { ...check, message: 'the device certificate is the first one pasted' }
        : check,
    ),
    steps: verdict.steps.map((step) => ({
      role: step.role,
      certificate: certificateView(step.certificate),
      checks: step.checks,
    })),
    presented: header.length,
  };
}

/** `Bearer <jwt>`, a quoted token or surrounding whitespace are all accepted. */
function bareToken(text: string): string {
  return text
    .trim()
    .replace(/^bearer\s+/i, '')
    .replace(/^"(.*)"$/, '$1')
    .trim();
}

/**
 * Decodes any JWT and says whether this mock would accept it now, with the
 * rule that refuses it. A tenant administrator's check is that of a request
 * to their tenant's domain.
 */
export interface TokenDecodeServices {
  clock: Clock;
  tenants: Tenants;
  tokens: Tokens;
  authenticator: TokenAuthenticator;
}

export async function decodeToken(
  { clock, tenants, tokens, authenticator }: TokenDecodeServices,
  viewer: Viewer,
  text: string,
): Promise<TokenReport> {
  const jwt = bareToken(text);
  if (jwt === '') throw new BadRequest(RESOURCE, 'Paste a token (the accessToken of a device).');
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(jwt) as Record<string, unknown>;
    claims = decodeJwt(jwt) as Record<string, unknown>;
  } catch (error) {
    throw new BadRequest(
      RESOURCE,
      `This is not a JSON Web Token: ${(error as Error).message}. A token has three base64url parts separated by dots.`,
    );
  }
  const hash = tokenHash(jwt);
  const report = {
    header,
    claims,
    hash,
    known: tokens.find(hash) !== undefined,
    now: toSeconds(clock.now()),
  };
  const hostTenant = viewer.kind === 'tenant' ? tenants.get(viewer.tenantId) : undefined;
  try {
    await authenticator.authenticate(jwt, hostTenant);
    return { ...report, valid: true };
  } catch (error) {
    if (!(error instanceof C8yError)) throw error;
    return { ...report, valid: false, rule: error.rule, reason: error.reason ?? error.message };
  }
}
