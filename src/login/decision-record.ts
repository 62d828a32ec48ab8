import { certificateSummary, type DecisionDraft, type StepSummary } from '../decisions/decision-log.js';
import type { ChainVerdict, PresentedChain } from '../pki/chain-verifier.js';

/** What the chain check found, in the decision's words: the leaf, tenant, anchor and every check. */
export function describeChain(draft: DecisionDraft, verdict: ChainVerdict, presented: PresentedChain): void {
  const leaf = verdict.leaf ?? verdict.steps[0]?.certificate ?? presented.tls[0] ?? presented.header[0];
  const leafSummary = leaf && certificateSummary(leaf);
  draft.leaf = leafSummary;
  draft.externalId = leaf?.commonNames[0];
  draft.tenantId = verdict.anchor?.tenantId;
  draft.anchor = verdict.anchor && {
    name: verdict.anchor.name,
    fingerprint: verdict.anchor.certificate.fingerprint,
  };
  draft.steps = verdict.steps.map(
    (step): StepSummary => ({
      role: step.role,
      certificate: step.certificate === leaf ? leafSummary! : certificateSummary(step.certificate),
      checks: step.checks,
    }),
  );
  draft.chainChecks = verdict.checks;
}
