// Enrollment: each tenant's own CA, the devices registered with a one-time password that
// have not enrolled yet, and the certificates the CA issued with their validity.
import { api } from '../api.js';
import { badge, formatTime, h, relative, show } from '../dom.js';

function validity(item, now) {
  const until = `until ${formatTime(item.notAfter)} (${relative(item.notAfter, now)})`;
  switch (item.validity) {
    case 'expired':
      return [badge('expired', 'fail'), ` ${formatTime(item.notAfter)}`];
    case 'not-yet-valid':
      return [badge('not yet valid', 'fail'), ` from ${formatTime(item.notBefore)}`];
    case 'expiring':
      return [badge('expiring', 'warn'), ' ', until];
    default:
      return [badge('valid', 'ok'), ' ', until];
  }
}

function authority(tenant, now, context) {
  const ca = tenant.authority;
  if (!ca) {
    return h(
      'div',
      { class: 'inline-form' },
      h('p', {}, 'No certificate authority: devices cannot enroll (EST answers 404).'),
      h(
        'button',
        {
          type: 'button',
          'data-key': `ca-${tenant.id}`,
          onclick: () =>
            context.act(async () => {
              await api(`tenants/${encodeURIComponent(tenant.id)}/certificate-authority`, {
                method: 'POST',
                body: {},
              });
              return `Tenant ${tenant.id} has its certificate authority.`;
            }),
        },
        `Create the CA of ${tenant.id}`,
      ),
    );
  }
  return h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'Certificate authority'),
    h('dd', {}, ca.subject, h('span', { class: 'sub' }, `fingerprint ${ca.fingerprint}`)),
    h('dt', {}, 'Status'),
    h(
      'dd',
      {},
      badge(ca.status, ca.status === 'ENABLED' ? 'ok' : 'fail'),
      ` auto-registration ${ca.autoRegistrationEnabled ? 'on' : 'off'}`,
    ),
    h('dt', {}, 'Validity'),
    h('dd', {}, validity(ca, now)),
  );
}

function waitingTable(tenant, now) {
  return h(
    'table',
    {},
    h('caption', {}, `Devices waiting to enroll in ${tenant.id}`),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Device ID', 'Registered', 'One-time password'].map((title) => h('th', { scope: 'col' }, title)),
      ),
    ),
    h(
      'tbody',
      {},
      tenant.waiting.length
        ? tenant.waiting.map((device) =>
            h(
              'tr',
              {},
              h(
                'th',
                { scope: 'row' },
                h('span', { class: 'name' }, device.externalId),
                device.type ? h('span', { class: 'sub' }, device.type) : null,
              ),
              h('td', {}, formatTime(device.createdAt), h('span', { class: 'sub' }, `by ${device.owner}`)),
              h(
                'td',
                {},
                device.expired
                  ? [badge('expired', 'fail'), ` ${formatTime(device.expiresAt)}: register again`]
                  : [
                      badge('usable', 'ok'),
                      ` until ${formatTime(device.expiresAt)} (${relative(device.expiresAt, now)})`,
                    ],
              ),
            ),
          )
        : h(
            'tr',
            {},
            h('td', { colspan: 3 }, 'None: register a device with ENROLLMENT_OTP or an enrollmentToken.'),
          ),
    ),
  );
}

function issuedTable(tenant, now) {
  return h(
    'table',
    {},
    h('caption', {}, `Certificates issued by the CA of ${tenant.id}`),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Device and subject', 'How', 'Serial', 'Validity'].map((title) => h('th', { scope: 'col' }, title)),
      ),
    ),
    h(
      'tbody',
      {},
      tenant.issued.length
        ? tenant.issued.map((certificate) =>
            h(
              'tr',
              {},
              h(
                'th',
                { scope: 'row' },
                h('span', { class: 'name' }, certificate.externalId),
                h('span', { class: 'sub' }, certificate.subject),
              ),
              h(
                'td',
                {},
                certificate.kind === 'enroll' ? 'enrolled' : 're-enrolled',
                h('span', { class: 'sub' }, formatTime(certificate.notBefore)),
              ),
              h('td', {}, h('code', {}, certificate.serialHex)),
              h('td', {}, validity(certificate, now)),
            ),
          )
        : h('tr', {}, h('td', { colspan: 4 }, 'None yet.')),
    ),
  );
}

export async function renderEnrollment(container, context) {
  const { now, tenants } = await api('enrollment');
  show(
    container,
    tenants.map((tenant) =>
      h(
        'section',
        { class: 'card', 'aria-labelledby': `enrollment-${tenant.id}` },
        h(
          'h2',
          { id: `enrollment-${tenant.id}` },
          `Tenant ${tenant.id}`,
          h('span', { class: 'sub' }, `domain ${tenant.domain}`),
        ),
        authority(tenant, now, context),
        waitingTable(tenant, now),
        issuedTable(tenant, now),
      ),
    ),
  );
}
