// A device's data under its row in the Devices view: its managed object, the latest
// measurements, events, alarms and operations, and a form to create an operation.
import { api } from '../api.js';
import { badge, formatTime, h } from '../dom.js';

const SEVERITY_KIND = { CRITICAL: 'fail', MAJOR: 'fail', MINOR: 'warn', WARNING: 'info' };
const OPERATION_KIND = { PENDING: 'info', EXECUTING: 'warn', SUCCESSFUL: 'ok', FAILED: 'fail' };
const REFERENCES = [
  'childDevices',
  'childAssets',
  'childAdditions',
  'deviceParents',
  'assetParents',
  'additionParents',
];
const OPERATION_FIELDS = new Set([
  'id',
  'self',
  'creationTime',
  'deviceId',
  'deviceName',
  'status',
  'failureReason',
  'description',
]);
const MEASUREMENT_FIELDS = new Set(['id', 'self', 'source', 'time', 'type']);

export const dataPath = (tenantId, externalId) =>
  `devices/${encodeURIComponent(tenantId)}/${encodeURIComponent(externalId)}`;

/** "c8y_Temperature.T 21.5 C": each series of a measurement, in the order sent. */
function values(measurement) {
  const parts = [];
  for (const [fragment, series] of Object.entries(measurement)) {
    if (MEASUREMENT_FIELDS.has(fragment) || typeof series !== 'object' || series === null) continue;
    for (const [name, value] of Object.entries(series)) {
      if (value && typeof value === 'object' && 'value' in value) {
        parts.push(`${fragment}.${name} ${value.value}${value.unit ? ` ${value.unit}` : ''}`);
      }
    }
  }
  return parts.join(', ') || '—';
}

function table(caption, columns, rows, empty) {
  if (rows.length === 0) return h('p', { class: 'hint' }, empty);
  return h(
    'table',
    { class: 'compact' },
    h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((title) => h('th', { scope: 'col' }, title)),
      ),
    ),
    h('tbody', {}, rows),
  );
}

/** A table's caption, saying when only the latest rows are shown. */
const shown = (list, what) =>
  list.total > list.items.length ? `${what}, latest ${list.items.length} of ${list.total}` : what;

function managedObjectSection(device, data) {
  const mo = data.managedObject;
  const fragments = Object.fromEntries(
    Object.entries(mo).filter(([key]) => !REFERENCES.includes(key) && key !== 'self'),
  );
  const children = (mo.childDevices?.references ?? []).map(
    (ref) => ref.managedObject.name ?? ref.managedObject.id,
  );
  return h(
    'section',
    { 'aria-label': `Managed object of ${device.externalId}` },
    h('h3', {}, `Managed object ${mo.id}${mo.name ? `: ${mo.name}` : ''}`),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Type'),
      h('dd', {}, mo.type ?? '—'),
      h('dt', {}, 'Owner'),
      h('dd', {}, mo.owner),
      h('dt', {}, 'Last updated'),
      h('dd', {}, formatTime(Date.parse(mo.lastUpdated))),
      h('dt', {}, 'Child devices'),
      h('dd', {}, children.length ? children.join(', ') : 'none'),
    ),
    h(
      'details',
      {},
      h('summary', {}, 'All properties (JSON)'),
      h('pre', {}, JSON.stringify(fragments, null, 2)),
    ),
  );
}

/**
 * What the administrator has typed into a device's operation form. The view is drawn
 * again whenever a decision arrives live; the draft keeps the typing across it.
 */
const drafts = new Map();

function operationForm(device, data, context) {
  const id = `op-${device.tenantId}-${device.externalId}`;
  const supported = data.supportedOperations ?? [];
  const draft = drafts.get(id) ?? {
    fragment: supported[0] ?? 'c8y_Restart',
    parameters: '{}',
    description: '',
  };
  const remember = (name) => (event) => {
    drafts.set(id, { ...draft, ...drafts.get(id), [name]: event.target.value });
  };
  const fragment = h('input', {
    id: `${id}-fragment`,
    'data-key': `${id}-fragment`,
    name: 'fragment',
    required: true,
    list: `${id}-supported`,
    value: draft.fragment,
    'aria-describedby': `${id}-hint`,
    oninput: remember('fragment'),
  });
  const parameters = h(
    'textarea',
    {
      id: `${id}-parameters`,
      'data-key': `${id}-parameters`,
      name: 'parameters',
      rows: 2,
      spellcheck: 'false',
      oninput: remember('parameters'),
    },
    draft.parameters,
  );
  const description = h('input', {
    id: `${id}-description`,
    'data-key': `${id}-description`,
    name: 'description',
    value: draft.description,
    oninput: remember('description'),
  });
  return h(
    'form',
    {
      class: 'operation-form',
      'aria-label': `Create an operation for ${device.externalId}`,
      onsubmit: (event) => {
        event.preventDefault();
        context.act(async () => {
          let params;
          try {
            params = JSON.parse(parameters.value || '{}');
          } catch {
            throw new Error('Parameters must be JSON, for example {"text": "reboot"}.');
          }
          const body = { fragment: fragment.value.trim(), parameters: params };
          if (description.value.trim()) body.description = description.value.trim();
          const operation = await api(`${dataPath(device.tenantId, device.externalId)}/operations`, {
            method: 'POST',
            body,
          });
          drafts.delete(id);
          return `Operation ${operation.id} (${body.fragment}) created for ${device.externalId}: PENDING until the device takes it.`;
        });
      },
    },
    h('h3', {}, 'Create an operation'),
    h('label', { for: fragment.id }, 'Operation fragment'),
    fragment,
    h(
      'datalist',
      { id: `${id}-supported` },
      supported.map((name) => h('option', { value: name })),
    ),
    h(
      'p',
      { id: `${id}-hint`, class: 'hint' },
      supported.length
        ? `The device supports ${supported.join(', ')} (c8y_SupportedOperations).`
        : 'The device lists no c8y_SupportedOperations.',
    ),
    h('label', { for: parameters.id }, 'Parameters (a JSON object)'),
    parameters,
    h('label', { for: description.id }, 'Description (optional)'),
    description,
    h(
      'div',
      { class: 'form-actions' },
      h('button', { type: 'submit', class: 'primary', 'data-key': `${id}-submit` }, 'Create operation'),
    ),
  );
}

/** The panel for one device, from GET devices/{tenant}/{externalId}/data. */
export function devicePanel(device, data, context) {
  if (!data.managedObject) {
    return h(
      'div',
      { class: 'data-panel' },
      h(
        'p',
        {},
        'No managed object yet. The device creates one with POST /inventory/managedObjects and binds its serial; bulk registration creates one, and so does its first token with --auto-registration-inventory.',
      ),
    );
  }
  const name = device.externalId;
  return h(
    'div',
    { class: 'data-panel' },
    managedObjectSection(device, data),
    table(
      shown(data.measurements, `Latest measurements of ${name}`),
      ['Time', 'Type', 'Values'],
      data.measurements.items.map((m) =>
        h(
          'tr',
          {},
          h('td', {}, formatTime(Date.parse(m.time))),
          h('td', {}, m.type),
          h('td', { class: 'mono' }, values(m)),
        ),
      ),
      'No measurements yet.',
    ),
    table(
      shown(data.events, `Latest events of ${name}`),
      ['Time', 'Type', 'Text'],
      data.events.items.map((e) =>
        h('tr', {}, h('td', {}, formatTime(Date.parse(e.time))), h('td', {}, e.type), h('td', {}, e.text)),
      ),
      'No events yet.',
    ),
    table(
      shown(data.alarms, `Latest alarms of ${name}`),
      ['Time', 'Severity', 'Status', 'Count', 'Type', 'Text'],
      data.alarms.items.map((a) =>
        h(
          'tr',
          {},
          h('td', {}, formatTime(Date.parse(a.time))),
          h('td', {}, badge(a.severity, SEVERITY_KIND[a.severity] ?? 'muted')),
          h('td', {}, a.status),
          h('td', {}, String(a.count)),
          h('td', {}, a.type),
          h('td', {}, a.text),
        ),
      ),
      'No alarms.',
    ),
    table(
      shown(data.operations, `Latest operations of ${name}`),
      ['Created', 'Status', 'Operation', 'Description or failure'],
      data.operations.items.map((o) =>
        h(
          'tr',
          {},
          h('td', {}, formatTime(Date.parse(o.creationTime))),
          h('td', {}, badge(o.status, OPERATION_KIND[o.status] ?? 'muted')),
          h(
            'td',
            { class: 'mono' },
            Object.keys(o)
              .filter((key) => !OPERATION_FIELDS.has(key))
              .join(', ') || '—',
          ),
          h(
            'td',
            {},
            o.failureReason ? h('span', { class: 'fail-text' }, o.failureReason) : (o.description ?? ''),
          ),
        ),
      ),
      'No operations yet.',
    ),
    operationForm(device, data, context),
  );
}
