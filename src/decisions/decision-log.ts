import type { Clock } from '../clock.js';
import type { Certificate } from '../pki/certificate.js';
import type { ChainStep } from '../pki/chain-verifier.js';

/**
 * What came of a device's attempt: a token issued or handed back, a refusal,
 * an MQTT connection accepted, or an MQTT message handled.
 */
export type Outcome = 'issued' | 'reused' | 'refused' | 'connected' | 'message' | 'injected';
export const OUTCOMES: readonly Outcome[] = [
  'issued',
  'reused',
  'refused',
  'connected',
  'message',
  'injected',
];

/** The way a device came in: the REST token endpoint, MQTT on 8883, and EST enrollment later. */
export type Door = 'rest' | 'mqtt' | 'est';

/** What only the MQTT door knows about a decision. */
export interface MqttDetail {
  /**
   * Where it happened: the TLS handshake (no CONNACK), CONNECT, a PUBLISH or
   * SUBSCRIBE of the device, a packet too large, an operation delivered to it, a session the
   * mock ended (its device user disabled).
   */
  stage: 'handshake' | 'connect' | 'publish' | 'subscribe' | 'packet' | 'deliver' | 'session';
  /** The client ID as the device sent it. */
  clientId?: string | undefined;
  /** How the session authenticated. */
  auth?: 'certificate' | 'password' | undefined;
  /** The CONNACK return code of a connect (0: accepted). */
  returnCode?: number | undefined;
  topic?: string | undefined;
  /** The lines of a message and what each was answered (on `s/e`, `s/ds`, `s/dat`), first ones only. */
  lines?: { line: string; answer?: string | undefined }[] | undefined;
}

export interface CertificateSummary {
  subject: string;
  issuer: string;
  serialHex: string;
  fingerprint: string;
  notBefore: number;
  notAfter: number;
}

export const certificateSummary = (certificate: Certificate): CertificateSummary => ({
  subject: certificate.subject,
  issuer: certificate.issuer,
  serialHex: certificate.serialHex,
  fingerprint: certificate.fingerprint,
  notBefore: certificate.notBefore,
  notAfter: certificate.notAfter,
});

export interface StepSummary {
  role: ChainStep['role'];
  certificate: CertificateSummary;
  checks: { rule: string; ok: boolean; message: string }[];
}

/** One decision at a door: a device login, or what the MQTT door did with a connection or message. */
export interface Decision {
  id: number;
  time: number;
  /** Where the device came in. */
  door: Door;
  /** The HTTPS listener of a REST decision: the mTLS door (8443) or the API door (443). */
  listener?: 'mtls' | 'api' | undefined;
  outcome: Outcome;
  /** The HTTP status of the verdict (REST: the answer; MQTT: what REST would have answered, 200 for success). */
  status: number;
  tenantId?: string | undefined;
  externalId?: string | undefined;
  /** The failed rule and the precise reason, for refusals. */
  rule?: string | undefined;
  reason?: string | undefined;
  leaf?: CertificateSummary | undefined;
  anchor?: { name: string; fingerprint: string } | undefined;
  /** Checks on the chain as a whole (presence, length, trust), then each certificate's. */
  chainChecks?: StepSummary['checks'] | undefined;
  steps?: StepSummary[] | undefined;
  token?: { hash: string; issuedAt: number; expiresAt: number } | undefined;
  remoteAddress?: string | undefined;
  mqtt?: MqttDetail | undefined;
  /** A fault a test suite asked for (/_mock/faults), not a decision of the platform's rules. */
  injected?: { ruleId: string; action: string } | undefined;
}

/** A decision before the log numbers and dates it. */
export type DecisionDraft = Omit<Decision, 'id' | 'time'>;

export interface DecisionFilter {
  tenantId?: string | undefined;
  externalId?: string | undefined;
  outcome?: Outcome | undefined;
  limit?: number | undefined;
}

type Checks = StepSummary['checks'];

/** What a decision says of a chain: the part a device's logins repeat word for word. */
interface Description {
  leaf: CertificateSummary;
  anchor: Decision['anchor'];
  steps: StepSummary[] | undefined;
  chainChecks: Checks | undefined;
}

/**
 * The latest authentication decisions, newest first, in a bounded ring kept in
 * memory (they are a view of what happened, not state), with live subscribers.
 * What it hands out is read-only: decisions may share their description.
 */
export class DecisionLog {
  readonly #clock: Clock;
  readonly #capacity: number;
  // Filled to capacity, then each new decision takes the oldest's place (no shift of 1,000 entries).
  readonly #ring: Decision[] = [];
  #oldest = 0;
  readonly #listeners = new Set<(decision: Decision) => void>();
  /** The latest description of each leaf certificate, by its fingerprint: as many leaves as the ring holds decisions. */
  readonly #described = new Map<string, Description>();
  #next = 1;

  constructor(clock: Clock, capacity: number) {
    this.#clock = clock;
    this.#capacity = capacity;
  }

  record(entry: DecisionDraft): Decision {
    const decision: Decision = { id: this.#next++, time: this.#clock.now(), ...entry };
    this.#share(decision);
    if (this.#ring.length < this.#capacity) {
      this.#ring.push(decision);
    } else {
      this.#ring[this.#oldest] = decision;
      this.#oldest = (this.#oldest + 1) % this.#capacity;
    }
    for (const listener of this.#listeners) listener(decision);
    return decision;
  }

  list(filter: DecisionFilter = {}): Decision[] {
    const out: Decision[] = [];
    const limit = filter.limit ?? this.#capacity;
    const length = this.#ring.length;
    for (let back = 1; back <= length && out.length < limit; back++) {
      const d = this.#ring[(this.#oldest + length - back) % length]!;
      if (filter.tenantId !== undefined && d.tenantId !== filter.tenantId) continue;
      if (filter.externalId !== undefined && d.externalId !== filter.externalId) continue;
      if (filter.outcome !== undefined && d.outcome !== filter.outcome) continue;
      out.push(d);
    }
    return out;
  }

  subscribe(listener: (decision: Decision) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  clear(): void {
    this.#ring.length = 0;
    this.#oldest = 0;
    this.#described.clear();
  }

  /**
   * A device that logs in again is described in the same words: the chain's summaries and
   * checks, rebuilt by every login. The log keeps one copy, shared by the decisions that repeat
   * it, so that a decision keeps in memory only what is its own. The copies were most of what a
   * reused token's login left for the garbage collector (issue 19).
   */
  #share(decision: Decision): void {
    const { leaf } = decision;
    if (leaf === undefined) return;
    const previous = this.#described.get(leaf.fingerprint);
    if (previous === undefined) {
      // The longest kept goes: a device still logging in is kept again at its next decision.
      if (this.#described.size >= this.#capacity)
        this.#described.delete(this.#described.keys().next().value!);
      const { anchor, steps, chainChecks } = decision;
      this.#described.set(leaf.fingerprint, { leaf, anchor, steps, chainChecks });
      return;
    }
    // Where the words differ, the new ones are kept for the next decision to share.
    if (sameSummary(previous.leaf, leaf)) decision.leaf = previous.leaf;
    else previous.leaf = leaf;
    if (sameAnchor(previous.anchor, decision.anchor)) decision.anchor = previous.anchor;
    else previous.anchor = decision.anchor;
    if (sameSteps(previous.steps, decision.steps)) decision.steps = previous.steps;
    else previous.steps = decision.steps;
    if (sameChecks(previous.chainChecks, decision.chainChecks)) decision.chainChecks = previous.chainChecks;
    else previous.chainChecks = decision.chainChecks;
  }
}

function sameSummary(a: CertificateSummary, b: CertificateSummary): boolean {
  return (
    a === b ||
    (a.fingerprint === b.fingerprint &&
      a.subject === b.subject &&
      a.issuer === b.issuer &&
      a.serialHex === b.serialHex &&
      a.notBefore === b.notBefore &&
      a.notAfter === b.notAfter)
  );
}

function sameAnchor(a: Decision['anchor'], b: Decision['anchor']): boolean {
  return (
    a === b || (a !== undefined && b !== undefined && a.name === b.name && a.fingerprint === b.fingerprint)
  );
}

function sameChecks(a: Checks | undefined, b: Checks | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.rule !== y.rule || x.ok !== y.ok || x.message !== y.message) return false;
  }
  return true;
}

function sameSteps(a: StepSummary[] | undefined, b: StepSummary[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.role !== y.role || !sameSummary(x.certificate, y.certificate) || !sameChecks(x.checks, y.checks)) {
      return false;
    }
  }
  return true;
}
