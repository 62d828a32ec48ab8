// A chain drawn from leaf to anchor with every rule that passed or failed, in
// the decision log's words. Used by the chain check and the live decisions.
import { badge, formatTime, h } from './dom.js';

const ROLES = {
  leaf: 'Device certificate (leaf)',
  intermediate: 'Intermediate CA',
  anchor: 'Trusted certificate (anchor)',
};

/** The verdict in one sentence, the refusal reason large. */
export function verdict(report) {
  if (report.ok) {
    const anchor = report.anchor ? ` at trusted certificate '${report.anchor.name}'` : '';
    const tenant = report.tenantId ? ` of tenant ${report.tenantId}` : '';
    return h(
      'div',
      { class: 'verdict verdict-ok' },
      h('p', { class: 'verdict-title' }, `✔ Accepted: anchored${anchor}${tenant}`),
    );
  }
  return h(
    'div',
    { class: 'verdict verdict-fail' },
    h(
      'p',
      { class: 'verdict-title' },
      '✘ Refused by rule ',
      h('code', { class: 'rule' }, report.rule ?? 'unknown'),
    ),
    h('p', { class: 'reason' }, report.reason ?? ''),
  );
}

function checkItem(check) {
  return h(
    'li',
    { class: check.ok ? 'check check-ok' : 'check check-fail' },
    h('span', { class: 'check-mark' }, check.ok ? '✔ passed' : '✘ failed'),
    ' ',
    h('code', { class: 'rule' }, check.rule),
    h('span', { class: 'check-message' }, check.message),
  );
}

function checkList(checks) {
  return h('ul', { class: 'checks' }, checks.map(checkItem));
}

function certificateFacts(certificate) {
  const rows = [
    ['Subject', certificate.subject],
    ['Issuer', certificate.issuer],
    ['Valid', `${formatTime(certificate.notBefore)} to ${formatTime(certificate.notAfter)}`],
    ['Serial', certificate.serialHex],
    ['SHA-1 fingerprint', certificate.fingerprint],
  ];
  if (certificate.key)
    rows.push(['Key and signature', `${certificate.key}, signed with ${certificate.signatureAlgorithm}`]);
  return h(
    'dl',
    { class: 'facts' },
    rows.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
  );
}

/** The whole report: verdict, the chain's own checks, then each link leaf to anchor. */
export function chainReport(report, { headingLevel = 2, verdict: withVerdict = true } = {}) {
  const heading = (text) => h(`h${headingLevel}`, {}, text);
  const steps = report.steps ?? [];
  return h(
    'div',
    { class: 'chain' },
    withVerdict ? verdict(report) : null,
    report.chainChecks?.length ? [heading('Checks on the whole chain'), checkList(report.chainChecks)] : null,
    steps.length
      ? [
          heading('Each link, leaf to anchor'),
          h(
            'ol',
            { class: 'links' },
            steps.map((step) => {
              const failed = step.checks.some((check) => !check.ok);
              return h(
                'li',
                { class: `link${failed ? ' link-fail' : ''}` },
                h(
                  `h${headingLevel + 1}`,
                  { class: 'link-title' },
                  ROLES[step.role] ?? step.role,
                  ' ',
                  failed
                    ? badge('failed', 'fail')
                    : step.checks.length
                      ? badge('passed', 'ok')
                      : badge('not checked', 'muted'),
                ),
                certificateFacts(step.certificate),
                step.checks.length
                  ? checkList(step.checks)
                  : h(
                      'p',
                      { class: 'hint' },
                      'Not checked: the chain was refused before this certificate was reached.',
                    ),
              );
            }),
          ),
        ]
      : null,
  );
}
