// The dashboard page: sign-in, one view at a time chosen by the address's #fragment,
// the live decision stream, and the messages of the trainer's actions.
import { api, setCsrfToken, whenSignedOut } from './api.js';
import { formatTime, h, show } from './dom.js';
import { addDecision, clearDecisions, loadDecisions, setUpDecisionFilters } from './views/decisions.js';
import { renderDevices } from './views/devices.js';
import { renderEnrollment } from './views/enrollment.js';
import { setUpChainCheck, setUpDecoder } from './views/inspect.js';
import { renderTenants } from './views/tenants.js';
import { renderTokens } from './views/tokens.js';

/** Each view and how it fills its .content (forms-only views have none). */
const VIEWS = {
  tenants: renderTenants,
  chain: undefined,
  devices: renderDevices,
  enrollment: renderEnrollment,
  tokens: renderTokens,
  decoder: undefined,
  decisions: undefined,
};
/** Views whose data a new decision can change: redrawn when one arrives. */
const LIVE_VIEWS = new Set(['tenants', 'devices', 'enrollment', 'tokens']);

const $ = (id) => document.getElementById(id);
let session;
let events;
let refreshTimer;
let mockStateTimer;
/** How often the clock and the fault rules are read again: a test suite changes them through the control API. */
const MOCK_STATE_MS = 5000;

function announce(message) {
  $('status').textContent = message;
}

function showError(message) {
  $('alert').textContent = message;
}

/** Runs a trainer's action: its message goes to the status line, an error to the alert. */
const context = {
  async act(task, { refresh = true } = {}) {
    showError('');
    try {
      const message = await task();
      if (message) announce(message);
      if (refresh) await refreshView();
    } catch (error) {
      showError(error.message);
    }
  },
};

function currentView() {
  const name = location.hash.slice(1);
  return Object.hasOwn(VIEWS, name) ? name : 'tenants';
}

function showOnly(name) {
  for (const view of document.querySelectorAll('.view')) view.hidden = view.id !== `view-${name}`;
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.getAttribute('href') === `#${name}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

// The data-key of the control focus last moved to: a user may move on while a redraw waits for
// its data, and the redraw must put them back where they went, not where they were when it began.
let focusKey;
document.addEventListener('focusin', (event) => {
  focusKey = event.target?.dataset?.key;
});

/**
 * Draws the current view again. Controls carry a data-key that survives the
 * redraw, so keyboard focus stays on the same control (or, when it is gone,
 * goes to the view's heading) instead of falling back to the page's start.
 */
async function refreshView() {
  const name = currentView();
  const render = VIEWS[name];
  if (!session || !render) return;
  try {
    await render(document.querySelector(`#view-${name} .content`), context);
  } catch (error) {
    showError(error.message);
  }
  const lost = !document.activeElement?.isConnected || document.activeElement === document.body;
  if (focusKey && lost) restoreFocus(focusKey, name);
}

function restoreFocus(key, name) {
  const again = document.querySelector(`[data-key="${CSS.escape(key)}"]`);
  (again ?? $(`h-${name}`)).focus();
}

/** "5 min 30 s ahead of real time", "2 days behind real time". */
function describeOffset(ms) {
  const parts = [];
  let rest = Math.round(Math.abs(ms) / 1000);
  for (const [unit, seconds] of [
    ['day', 86400],
    ['h', 3600],
    ['min', 60],
    ['s', 1],
  ]) {
    const n = Math.floor(rest / seconds);
    rest -= n * seconds;
    if (n) parts.push(unit === 'day' ? `${n} day${n === 1 ? '' : 's'}` : `${n} ${unit}`);
  }
  return `${parts.join(' ') || '0 s'} ${ms > 0 ? 'ahead of' : 'behind'} real time`;
}

function describeRule(rule) {
  const where =
    rule.door === 'mqtt'
      ? `MQTT ${rule.stage === 'connect' ? 'CONNECT' : `PUBLISH ${rule.topic ?? '(any topic)'}`}`
      : `${rule.door === 'est' ? 'EST' : 'REST'} ${rule.method ?? 'any method'} ${rule.path ?? '(any path)'}`;
  const scope = [rule.tenant && `tenant ${rule.tenant}`, rule.device && `device ${rule.device}`].filter(
    Boolean,
  );
  const what =
    rule.action === 'status'
      ? `answer ${rule.status} ${rule.error}`
      : rule.action === 'delay'
        ? `delay ${rule.delay}`
        : rule.action === 'connack'
          ? `CONNACK ${rule.returnCode}`
          : rule.action;
  const often = [
    rule.remaining !== undefined ? `${rule.remaining} left` : 'until removed',
    rule.share !== undefined ? `${Math.round(rule.share * 100)} % of requests` : '',
  ].filter(Boolean);
  return `Rule ${rule.id}: ${where}${scope.length ? ` (${scope.join(', ')})` : ''} → ${what}, ${often.join(', ')}; injected ${rule.injected} time(s).`;
}

/** Every page says when the clock is not real time and which fault rules are active. */
async function refreshMockState() {
  clearTimeout(mockStateTimer);
  if (!session) {
    $('mock-state').hidden = true;
    return;
  }
  try {
    const { clock, faults } = await api('mock-state');
    const clockLine = $('mock-clock');
    clockLine.hidden = clock.offsetMs === 0;
    clockLine.textContent =
      clock.offsetMs === 0 ? '' : `Mock clock: ${formatTime(clock.now)}, ${describeOffset(clock.offsetMs)}.`;
    const list = $('mock-faults');
    list.hidden = faults.length === 0;
    show(
      list,
      faults.length
        ? [
            h(
              'p',
              {},
              `${faults.length} active fault rule(s): their answers are injected, not the platform's.`,
            ),
            h(
              'ul',
              {},
              faults.map((rule) => h('li', {}, describeRule(rule))),
            ),
          ]
        : null,
    );
    $('mock-state').hidden = clockLine.hidden && list.hidden;
  } catch {
    // The next read tries again; a sign-out is handled by the API's 401.
  }
  if (session) mockStateTimer = setTimeout(refreshMockState, MOCK_STATE_MS);
}

async function route({ focus = true } = {}) {
  const name = session ? currentView() : 'login';
  if (focus) announce('');
  showOnly(name);
  document.title = `${$(`h-${name}`).textContent} · c8y-mtls-mock dashboard`;
  if (focus) $(`h-${name}`).focus();
  await Promise.all([refreshView(), refreshMockState()]);
}

function openEvents() {
  events?.close();
  events = new EventSource('/_mock/ui/api/events');
  events.addEventListener('open', () => {
    $('live-state').textContent = 'live: connected';
  });
  events.addEventListener('error', () => {
    $('live-state').textContent =
      events.readyState === EventSource.CLOSED ? 'live: stopped' : 'live: reconnecting';
  });
  events.addEventListener('decision', (event) => {
    const decision = JSON.parse(event.data);
    addDecision(decision);
    if (decision.outcome === 'injected') refreshMockState();
    if (!LIVE_VIEWS.has(currentView())) return;
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refreshView, 200);
  });
}

async function startSession(data) {
  session = data;
  setCsrfToken(data.csrfToken);
  $('who').textContent = `Signed in as ${data.name}`;
  $('nav').hidden = false;
  $('account').hidden = false;
  $('reset-open').hidden = !data.canReset;
  await loadDecisions(data.tenants);
  openEvents();
  await route({ focus: false });
}

function endSession(message) {
  session = undefined;
  events?.close();
  clearTimeout(mockStateTimer);
  $('mock-state').hidden = true;
  $('nav').hidden = true;
  $('account').hidden = true;
  if (message) showError(message);
  route();
}

function setUpLogin() {
  const form = $('login-form');
  const syncKind = () => {
    const admin = form.elements.kind.value === 'admin';
    $('login-tenant-fields').hidden = admin;
    $('login-admin-fields').hidden = !admin;
  };
  form.addEventListener('change', syncKind);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showError('');
    const admin = form.elements.kind.value === 'admin';
    const body = admin
      ? { secret: form.elements.secret.value }
      : { user: form.elements.user.value.trim(), password: form.elements.password.value };
    try {
      const data = await api('login', { method: 'POST', body });
      form.reset();
      syncKind();
      announce(`Signed in as ${data.name}.`);
      await startSession(data);
    } catch (error) {
      showError(error.message);
    }
  });
}

function setUpAccount() {
  $('logout').addEventListener('click', async () => {
    try {
      await api('logout', { method: 'POST', body: {} });
    } finally {
      endSession();
      announce('Signed out.');
    }
  });
  const dialog = $('reset-dialog');
  $('reset-open').addEventListener('click', () => {
    dialog.returnValue = '';
    dialog.showModal();
  });
  dialog.addEventListener('close', () => {
    if (dialog.returnValue !== 'reset') return;
    context.act(async () => {
      const result = await api('reset', { method: 'POST', body: {} });
      clearDecisions();
      return `Reset to the seed: tenants ${result.tenants.join(', ')}.`;
    });
  });
}

async function boot() {
  whenSignedOut(() => {
    if (session) endSession('Your session has ended: sign in again.');
  });
  setUpLogin();
  setUpAccount();
  setUpChainCheck(context);
  setUpDecoder(context);
  setUpDecisionFilters();
  window.addEventListener('hashchange', () => route());
  try {
    await startSession(await api('session'));
  } catch {
    route({ focus: false });
  }
}

boot();
