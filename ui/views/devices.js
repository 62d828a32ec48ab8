// Devices: per tenant, each device's certificate and its last token request.
import { api } from '../api.js';
import { badge, formatTime, h, relative, short, show } from '../dom.js';

const OUTCOME_KIND = { issued: 'ok', reused: 'info', refused: 'fail' };

function lastRequest(last, now) {
  if (!last) return 'none yet';
  return [
    badge(last.outcome, OUTCOME_KIND[last.outcome] ?? 'muted'),
    ` ${formatTime(last.time)} (${relative(last.time, now)})`,
    last.rule ? h('span', { class: 'sub fail-text' }, `rule ${last.rule}: ${last.reason ?? ''}`) : null,
    last.source === 'token'
      ? h('span', { class: 'sub' }, 'from the stored token; the decision log starts empty')
      : null,
  ];
}

function deviceRow(device, now) {
  return h(
    'tr',
    {},
    h(
      'th',
      { scope: 'row' },
      h('span', { class: 'name' }, device.externalId),
      h('span', { class: 'sub' }, device.userName),
    ),
    h('td', {}, device.registration, h('span', { class: 'sub' }, formatTime(device.registeredAt))),
    h(
      'td',
      {},
      device.certificate
        ? [
            h('span', {}, device.certificate.subject),
            h('span', { class: 'sub mono' }, `SHA-1 ${short(device.certificate.fingerprint)}`),
          ]
        : 'not seen yet',
    ),
    h(
      'td',
      {},
      device.anchor
        ? [device.anchor.name, device.anchor.enabled ? null : [' ', badge('DISABLED', 'fail')]]
        : '—',
    ),
    h('td', {}, lastRequest(device.lastRequest, now)),
  );
}

export async function renderDevices(container) {
  const { now, tenants } = await api('devices');
  show(
    container,
    tenants.map((tenant) =>
      h(
        'section',
        { class: 'card', 'aria-labelledby': `devices-${tenant.id}` },
        h(
          'h2',
          { id: `devices-${tenant.id}` },
          `Tenant ${tenant.id}`,
          h('span', { class: 'sub' }, `${tenant.devices.length} device(s)`),
        ),
        tenant.devices.length
          ? h(
              'table',
              {},
              h('caption', {}, `Devices of ${tenant.id}`),
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['Device', 'Registered', 'Certificate', 'Trusted through', 'Last token request'].map(
                    (title) => h('th', { scope: 'col' }, title),
                  ),
                ),
              ),
              h(
                'tbody',
                {},
                tenant.devices.map((device) => deviceRow(device, now)),
              ),
            )
          : h(
              'p',
              {},
              'No devices yet. A device registers itself on its first token request when auto-registration is on.',
            ),
      ),
    ),
  );
}
