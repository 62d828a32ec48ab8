import type { Clock } from '../clock.js';
import type { ChainStep } from '../pki/chain-verifier.js';

export type Outcome = 'issued' | 'reused' | 'refused';

export interface CertificateSummary {
  subject: string;
  issuer: string;
  serialHex: string;
  fingerprint: string;
  notBefore: number;
  notAfter: number;
}

export interface StepSummary {
  role: ChainStep['role'];
  certificate: CertificateSummary;
  checks: { rule: string; ok: boolean; message: string }[];
}

/** One authentication decision of the token endpoint. */
export interface Decision {
  id: number;
  time: number;
  outcome: Outcome;
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
}

export interface DecisionFilter {
  tenantId?: string | undefined;
  externalId?: string | undefined;
  outcome?: Outcome | undefined;
  limit?: number | undefined;
}

/**
 * The latest authentication decisions, newest first, in a bounded ring kept in
 * memory (they are a view of what happened, not state), with live subscribers.
 */
export class DecisionLog {
  readonly #clock: Clock;
  readonly #capacity: number;
  readonly #ring: Decision[] = [];
  readonly #listeners = new Set<(decision: Decision) => void>();
  #next = 1;

  constructor(clock: Clock, capacity: number) {
    this.#clock = clock;
    this.#capacity = capacity;
  }

  record(entry: Omit<Decision, 'id' | 'time'>): Decision {
    const decision: Decision = { id: this.#next++, time: this.#clock.now(), ...entry };
    this.#ring.push(decision);
    if (this.#ring.length > this.#capacity) this.#ring.shift();
    for (const listener of this.#listeners) listener(decision);
    return decision;
  }

  list(filter: DecisionFilter = {}): Decision[] {
    const out: Decision[] = [];
    const limit = filter.limit ?? this.#capacity;
    for (let i = this.#ring.length - 1; i >= 0 && out.length < limit; i--) {
      const d = this.#ring[i]!;
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
  }
}
