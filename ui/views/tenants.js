// Tenants: domain, trusted certificates with their switches, and the token lifetime option.
import { api } from '../api.js';
import { badge, duration, formatTime, h, show } from '../dom.js';

function validity(certificate) {
  const until = `until ${formatTime(certificate.notAfter)}`;
  switch (certificate.validity) {
    case 'expired':
      return [badge('expired', 'fail'), ' ', until];
    case 'not-yet-valid':
      return [badge('not yet valid', 'fail'), ` from ${formatTime(certificate.notBefore)}`];
    case 'expiring':
      return [badge(`⚠ expires in ${certificate.daysLeft} days`, 'warn'), ' ', until];
    default:
      return until;
  }
}

function certificateRow(tenant, certificate, context) {
  const enabled = certificate.status === 'ENABLED';
  const change = (patch, done) =>
    context.act(async () => {
      await api(`tenants/${encodeURIComponent(tenant.id)}/trusted-certificates/${certificate.fingerprint}`, {
        method: 'PUT',
        body: patch,
      });
      return done;
    });
  return h(
    'tr',
    {},
    h(
      'th',
      { scope: 'row' },
      h('span', { class: 'name' }, certificate.name),
      h('span', { class: 'sub' }, certificate.subject),
    ),
    h('td', {}, badge(certificate.status, enabled ? 'ok' : 'fail')),
    h('td', {}, certificate.autoRegistrationEnabled ? 'on' : 'off'),
    h('td', {}, certificate.proofOfPossessionValid ? 'verified' : 'not verified'),
    h('td', {}, validity(certificate)),
    h(
      'td',
      { class: 'actions' },
      h(
        'button',
        {
          type: 'button',
          'data-key': `status-${certificate.fingerprint}`,
          'aria-label': `${enabled ? 'Disable' : 'Enable'} trusted certificate ${certificate.name}`,
          onclick: () =>
            change(
              { status: enabled ? 'DISABLED' : 'ENABLED' },
              `Trusted certificate ${certificate.name} is now ${enabled ? 'DISABLED' : 'ENABLED'}.`,
            ),
        },
        enabled ? 'Disable' : 'Enable',
      ),
      h(
        'button',
        {
          type: 'button',
          'data-key': `auto-${certificate.fingerprint}`,
          'aria-label': `Turn auto-registration ${certificate.autoRegistrationEnabled ? 'off' : 'on'} for ${certificate.name}`,
          onclick: () =>
            change(
              { autoRegistrationEnabled: !certificate.autoRegistrationEnabled },
              `Auto-registration is now ${certificate.autoRegistrationEnabled ? 'off' : 'on'} for ${certificate.name}.`,
            ),
        },
        `Turn auto-registration ${certificate.autoRegistrationEnabled ? 'off' : 'on'}`,
      ),
    ),
  );
}

function lifespanForm(tenant, context) {
  const id = `lifespan-${tenant.id}`;
  const { lifespan } = tenant;
  const input = h('input', {
    id,
    'data-key': id,
    name: 'seconds',
    // No min: the server's rule decides (--lifespan-below-minimum clamp accepts less) and says why.
    type: 'number',
    step: 1,
    required: true,
    value: lifespan.value ?? lifespan.seconds,
    'aria-describedby': `${id}-hint`,
  });
  return h(
    'form',
    {
      class: 'inline-form',
      onsubmit: (event) => {
        event.preventDefault();
        context.act(async () => {
          await api(`tenants/${encodeURIComponent(tenant.id)}/lifespan`, {
            method: 'PUT',
            body: { seconds: input.value },
          });
          return `Device tokens of ${tenant.id} now last ${input.value} s.`;
        });
      },
    },
    h('label', { for: id }, 'Device token lifetime, seconds'),
    input,
    h('button', { type: 'submit', 'data-key': `${id}-save` }, 'Save lifetime'),
    h(
      'p',
      { id: `${id}-hint`, class: 'hint' },
      `Option oauth.internal / device-token.lifespan.seconds: ${lifespan.value ?? `not set (default ${lifespan.default})`}. `,
      `Tokens now last ${duration(lifespan.seconds)}; at least ${lifespan.minimum} s.`,
    ),
  );
}

export async function renderTenants(container, context) {
  const { tenants } = await api('tenants');
  show(
    container,
    tenants.map((tenant) =>
      h(
        'section',
        { class: 'card', 'aria-labelledby': `tenant-${tenant.id}` },
        h(
          'h2',
          { id: `tenant-${tenant.id}` },
          `Tenant ${tenant.id}`,
          h('span', { class: 'sub' }, `domain ${tenant.domain}`),
        ),
        h(
          'table',
          {},
          h('caption', {}, `Trusted certificates of ${tenant.id}`),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              [
                'Name and subject',
                'Status',
                'Auto-registration',
                'Proof of possession',
                'Validity',
                'Actions',
              ].map((title) => h('th', { scope: 'col' }, title)),
            ),
          ),
          h(
            'tbody',
            {},
            tenant.trustedCertificates.length
              ? tenant.trustedCertificates.map((certificate) => certificateRow(tenant, certificate, context))
              : h('tr', {}, h('td', { colspan: 6 }, 'No trusted certificates: no device can get a token.')),
          ),
        ),
        lifespanForm(tenant, context),
      ),
    ),
  );
}
