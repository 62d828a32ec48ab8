// Live decisions: the decision log, newest first, filtered by tenant and outcome,
// with new decisions arriving over server-sent events.
import { api } from '../api.js';
import { chainReport } from '../chain.js';
import { badge, formatTime, h, show } from '../dom.js';

const KEEP = 500;
const OUTCOME_KIND = {
  issued: 'ok',
  reused: 'info',
  refused: 'fail',
  connected: 'ok',
  message: 'info',
  injected: 'warn',
};
/** The door of each entry, as a badge: the REST token endpoint, MQTT or EST enrollment. */
const DOOR_NAME = { rest: 'REST', mqtt: 'MQTT', est: 'EST' };

/** What an MQTT decision adds: where it happened, the client ID, the CONNACK code, the topic. */
function mqttSummary(mqtt) {
  const parts = [mqtt.stage];
  if (mqtt.clientId) parts.push(`client ID ${mqtt.clientId}`);
  if (mqtt.auth) parts.push(mqtt.auth);
  if (mqtt.returnCode !== undefined) parts.push(`CONNACK ${mqtt.returnCode}`);
  if (mqtt.topic) parts.push(`topic ${mqtt.topic}`);
  return parts.join(' · ');
}

/** The SmartREST lines of an MQTT message and what each was answered. */
function mqttLines(lines) {
  return h(
    'ul',
    { class: 'mqtt-lines' },
    lines.map((item) =>
      h(
        'li',
        {},
        h('code', {}, item.line === '' ? '(empty)' : item.line),
        item.answer ? [' → ', h('code', {}, item.answer)] : null,
      ),
    ),
  );
}

/** Decisions newest first, by id. */
let decisions = [];
let fresh = new Set();
/** Decisions whose chain details are open: kept open when the list is drawn again. */
const expanded = new Set();

function entry(decision) {
  const refused = decision.outcome === 'refused';
  return h(
    'li',
    {
      class: `decision decision-${decision.outcome}${fresh.has(decision.id) ? ' fresh' : ''}`,
      'data-id': decision.id,
    },
    h(
      'p',
      { class: 'decision-head' },
      badge(`${decision.outcome} ${decision.status}`, OUTCOME_KIND[decision.outcome] ?? 'muted'),
      ' ',
      badge(DOOR_NAME[decision.door] ?? decision.door, 'muted'),
      ' ',
      h('strong', {}, decision.externalId ?? 'unknown device'),
      decision.tenantId ? ` · tenant ${decision.tenantId}` : ' · no tenant',
      decision.anchor ? ` · via ${decision.anchor.name}` : '',
      h('span', { class: 'time' }, formatTime(decision.time)),
    ),
    decision.mqtt ? h('p', { class: 'hint mqtt-summary' }, mqttSummary(decision.mqtt)) : null,
    decision.mqtt?.lines?.length ? mqttLines(decision.mqtt.lines) : null,
    decision.injected
      ? h(
          'div',
          { class: 'injected' },
          h(
            'p',
            { class: 'verdict-title' },
            'Injected by fault rule ',
            h('code', { class: 'rule' }, decision.injected.ruleId),
            ' of the test suite, not a decision of the platform’s rules',
          ),
          h('p', { class: 'reason' }, decision.reason ?? ''),
        )
      : refused
        ? h(
            'div',
            { class: 'refusal' },
            h(
              'p',
              { class: 'verdict-title' },
              'Refused by rule ',
              h('code', { class: 'rule' }, decision.rule ?? 'unknown'),
            ),
            h('p', { class: 'reason' }, decision.reason ?? ''),
          )
        : decision.door === 'est' && decision.leaf
          ? h(
              'p',
              {},
              `Certificate issued: serial ${decision.leaf.serialHex}, valid until ${formatTime(decision.leaf.notAfter)}.`,
            )
          : decision.token
            ? h(
                'p',
                {},
                `Token issued ${formatTime(decision.token.issuedAt * 1000)}, expires ${formatTime(decision.token.expiresAt * 1000)}.`,
              )
            : null,
    decision.steps?.length || decision.chainChecks?.length
      ? h(
          'details',
          {
            open: expanded.has(decision.id),
            ontoggle: (event) => {
              if (event.target.open) expanded.add(decision.id);
              else expanded.delete(decision.id);
            },
          },
          h('summary', {}, 'Chain checks, leaf to anchor'),
          chainReport(
            {
              ok: !refused,
              rule: decision.rule,
              reason: decision.reason,
              anchor: decision.anchor,
              tenantId: decision.tenantId,
              chainChecks: decision.chainChecks,
              steps: decision.steps,
            },
            { headingLevel: 3, verdict: false },
          ),
        )
      : null,
  );
}

function render() {
  const tenant = document.getElementById('filter-tenant').value;
  const outcome = document.getElementById('filter-outcome').value;
  const shown = decisions.filter(
    (d) => (tenant === '' || d.tenantId === tenant) && (outcome === '' || d.outcome === outcome),
  );
  show(document.getElementById('decision-list'), shown.map(entry));
  fresh = new Set();
  document.getElementById('decision-count').textContent =
    `${shown.length} of ${decisions.length} decision(s) shown.`;
}

/** Fills the tenant filter and loads what the log holds now. */
export async function loadDecisions(tenants) {
  const select = document.getElementById('filter-tenant');
  show(
    select,
    h('option', { value: '' }, tenants.length > 1 ? 'All tenants' : 'My tenant'),
    tenants.length > 1 ? tenants.map((id) => h('option', { value: id }, id)) : null,
  );
  const { decisions: list } = await api('decisions?limit=200');
  decisions = list;
  render();
}

/** A decision from the live stream; duplicates (after a reconnect) are ignored. */
export function addDecision(decision) {
  if (decisions.some((d) => d.id === decision.id)) return;
  decisions.unshift(decision);
  decisions.sort((a, b) => b.id - a.id);
  decisions.length = Math.min(decisions.length, KEEP);
  fresh.add(decision.id);
  render();
}

export function clearDecisions() {
  decisions = [];
  render();
}

export function setUpDecisionFilters() {
  const form = document.getElementById('decision-filters');
  form.addEventListener('change', render);
  form.addEventListener('submit', (event) => event.preventDefault());
}
