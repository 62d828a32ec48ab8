// Devices: per tenant, each device's certificate, its last token request, and on request
// its data (managed object, measurements, events, alarms, operations).
import { api } from '../api.js';
import { badge, formatTime, h, relative, short, show } from '../dom.js';
import { dataPath, devicePanel } from './device-data.js';

/** Devices whose data is open: kept while the view is drawn again. */
const open = new Set();
const keyOf = (device) => `${device.tenantId}/${device.externalId}`;

const OUTCOME_KIND = { issued: 'ok', reused: 'info', refused: 'fail', injected: 'warn' };

function lastRequest(last, now) {
  if (!last) return 'none yet';
  return [
    badge(last.outcome, OUTCOME_KIND[last.outcome] ?? 'muted'),
    ` ${formatTime(last.time)} (${relative(last.time, now)})`,
    last.door === 'est' ? h('span', { class: 'sub' }, 'a certificate at EST enrollment') : null,
    last.rule ? h('span', { class: 'sub fail-text' }, `rule ${last.rule}: ${last.reason ?? ''}`) : null,
    last.source === 'token'
      ? h('span', { class: 'sub' }, 'from the stored token; the decision log starts empty')
      : null,
  ];
}

function dataToggle(device, context) {
  const key = keyOf(device);
  const isOpen = open.has(key);
  return h(
    'button',
    {
      type: 'button',
      'data-key': `data-${key}`,
      'aria-expanded': isOpen ? 'true' : 'false',
      'aria-controls': `data-${key}`,
      'aria-label': `${isOpen ? 'Hide' : 'Show'} data of ${device.externalId}`,
      onclick: () => {
        if (isOpen) open.delete(key);
        else open.add(key);
        context.act(async () => undefined);
      },
    },
    isOpen ? 'Hide data' : 'Show data',
  );
}

function deviceRow(device, now, context) {
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
    h('td', {}, dataToggle(device, context)),
  );
}

const COLUMNS = ['Device', 'Registered', 'Certificate', 'Trusted through', 'Last token request', 'Data'];

function rows(device, now, context, data) {
  const row = deviceRow(device, now, context);
  if (!open.has(keyOf(device))) return row;
  return [
    row,
    h(
      'tr',
      { class: 'details', id: `data-${keyOf(device)}` },
      h('td', { colspan: COLUMNS.length }, data ? devicePanel(device, data, context) : 'Loading…'),
    ),
  ];
}

export async function renderDevices(container, context) {
  const { now, tenants } = await api('devices');
  const data = new Map();
  const wanted = tenants.flatMap((tenant) => tenant.devices).filter((device) => open.has(keyOf(device)));
  await Promise.all(
    wanted.map(async (device) =>
      data.set(keyOf(device), await api(`${dataPath(device.tenantId, device.externalId)}/data`)),
    ),
  );
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
                  COLUMNS.map((title) => h('th', { scope: 'col' }, title)),
                ),
              ),
              h(
                'tbody',
                {},
                tenant.devices.map((device) => rows(device, now, context, data.get(keyOf(device)))),
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
