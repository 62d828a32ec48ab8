import { join } from 'node:path';
import type { Page } from 'playwright-core';
import t, { type Test } from 'tap';
import { accessibilityViolations, launchBrowser, screenshotDir } from '../helpers/browser.js';
import { TEST_NOW } from '../helpers/clock.js';
import { connectDevice, refusedConnect } from '../helpers/mqtt.js';
import { DAY, device, header, intermediateCa, rootCa } from '../helpers/pki.js';
import { seedWith } from '../helpers/seeds.js';
import { ADMIN_SECRET, call, requestToken, startServer } from '../helpers/server.js';

/*
 * The dashboard in a real browser against a real mock: headless Chromium
 * (Debian's package, driven by playwright-core) over HTTPS. Devices get their
 * tokens over real mutual TLS. No timing assertions: every step waits for
 * what the page shows.
 */
const now = TEST_NOW;
const root = await rootCa(now, 'Lab Root CA');
const issuing = await intermediateCa(root, now, 'Lab Issuing CA');
// Ends in 20 days: the dashboard warns before a trusted certificate expires.
const otherRoot = await rootCa(now, 'Partner Root CA', { notAfter: new Date(now + 20 * DAY) });
const stranger = await rootCa(now, 'Stranger CA');
const seed = seedWith([
  { id: 't100', domain: 't100.example.test', pem: root.certificate.pem, devices: ['gateway-0007'] },
  { id: 't200', domain: 't200.example.test', pem: otherRoot.certificate.pem, lifespan: '900' },
]);
const shots = screenshotDir();

/** A screenshot of the view as it is, and axe-core's WCAG A/AA check of the same state. */
async function screenshot(page: Page, name: string, t: Test) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  t.same(await accessibilityViolations(page), [], `${name}: no WCAG 2.1 A/AA violations found by axe`);
}

t.test('a trainer follows devices, tokens and refusals live, and switches a CA off', async (t) => {
  const server = await startServer(t, { listen: true, seed });
  const browser = await launchBrowser(t, server);
  // The page checks the server's certificate through the key pin in launchBrowser, not ignoreHTTPSErrors.
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    reducedMotion: 'reduce',
  });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  const elsewhere: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('request', (request) => {
    if (!request.url().startsWith(`${server.origin}/`)) elsewhere.push(request.url());
  });
  page.on('console', (message) => {
    // Refusals the test provokes show as failed loads; anything else is a fault of the page.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      pageErrors.push(message.text());
  });

  const lab = await device(issuing, now, 'lab-device-01');
  const labChain = header(issuing.certificate.pem);
  const second = await device(root, now, 'lab-device-02');
  const partner = await device(otherRoot, now, 'partner-sensor-1');
  const outsider = await device(stranger, now, 'intruder-42');
  const expired = await device(issuing, now, 'old-device-03', {
    notBefore: new Date(now - 400 * DAY),
    notAfter: new Date(now - 2 * DAY),
  });

  await t.test('sign in with the keyboard', async (t) => {
    await page.goto(`${server.origin}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    t.notOk(await page.getByRole('button', { name: 'Sign out' }).isVisible(), 'nothing of a session shows');
    await screenshot(page, 'sign-in', t);
    await page.keyboard.press('Tab');
    t.equal(
      await page.evaluate(() => document.activeElement?.textContent),
      'Skip to content',
      'skip link first',
    );
    await page.getByLabel('Mock administrator (admin secret)').check();
    await page.getByLabel('Admin secret', { exact: true }).fill('wrong-secret');
    await page.getByLabel('Admin secret', { exact: true }).press('Enter');
    await page.getByRole('alert').getByText('Invalid credentials! : Bad credentials').waitFor();
    await page.getByLabel('Admin secret', { exact: true }).fill(ADMIN_SECRET);
    await page.getByLabel('Admin secret', { exact: true }).press('Enter');
    await page.locator('#who').getByText('Signed in as mock administrator').waitFor();
    await page.getByRole('heading', { name: 'Tenant t100' }).waitFor();
    t.equal(await page.locator('#alert').textContent(), '', 'the error is gone');
  });

  await t.test('tenants: trusted certificates and the token lifetime', async (t) => {
    await page.getByRole('heading', { name: 'Tenant t200' }).waitFor();
    const t100 = page.getByRole('table', { name: 'Trusted certificates of t100' });
    await t100.getByRole('cell', { name: 'ENABLED' }).waitFor();
    const t200 = page.getByRole('table', { name: 'Trusted certificates of t200' });
    await t200.getByText('⚠ expires in 20 days').waitFor();
    await page.getByRole('button', { name: 'Turn auto-registration off for t100 CA' }).click();
    await page.getByRole('button', { name: 'Turn auto-registration on for t100 CA' }).click();
    await page.getByRole('status').getByText('Auto-registration is now on for t100 CA.').waitFor();
    t.equal(server.app.services.trust.list('t100')[0]?.record.autoRegistrationEnabled, true);
    t.equal(await page.getByLabel('Device token lifetime, seconds').nth(1).inputValue(), '900');
    await page.getByLabel('Device token lifetime, seconds').first().fill('120');
    await page.getByRole('button', { name: 'Save lifetime' }).first().click();
    await page.getByRole('alert').getByText('must be at least 300 seconds (5 minutes); got 120').waitFor();
    await page.getByLabel('Device token lifetime, seconds').first().fill('1800');
    await page.getByRole('button', { name: 'Save lifetime' }).first().click();
    await page.getByRole('status').getByText('Device tokens of t100 now last 1800 s.').waitFor();
    t.equal(server.app.services.options.lifespanSeconds('t100'), 1800);
    await screenshot(page, 'tenants', t);
  });

  await t.test(
    'a device gets a token: it appears on the timeline and in the live log without reload',
    async (t) => {
      await page.getByRole('link', { name: 'Tokens' }).click();
      await page.getByText('No tokens yet.').waitFor();
      await page.evaluate(() => {
        (window as unknown as { notReloaded: boolean }).notReloaded = true;
      });
      const issued = await requestToken(server, {
        cert: lab.certPem,
        key: lab.keyPem,
        chainHeader: labChain,
      });
      t.equal(issued.status, 200);
      const row = page
        .getByRole('table', { name: /Issued tokens/ })
        .getByRole('row', { name: /lab-device-01/ });
      await row.getByText('active').waitFor();
      await page.locator('.timeline svg').getByText('lab-device-01', { exact: true }).waitFor();

      // The lab goes on: the mock's clock moves between requests, so the timeline has a shape.
      server.clock.advance(4 * 60_000);
      t.equal((await requestToken(server, { cert: second.certPem, key: second.keyPem })).status, 200);
      server.clock.advance(6 * 60_000);
      t.equal((await requestToken(server, { cert: partner.certPem, key: partner.keyPem })).status, 200);
      await page.locator('.timeline svg').getByText('partner-sensor-1', { exact: true }).waitFor();
      server.clock.advance(3 * 60_000);

      await page.getByRole('link', { name: 'Live decisions' }).click();
      const entry = page.locator('#decision-list > li', { hasText: 'lab-device-01' });
      await entry.getByText('issued 200').waitFor();
      t.ok(
        await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded),
        'the page was not reloaded',
      );
    },
  );

  await t.test('a refused certificate shows the failing rule, live and in the chain check', async (t) => {
    const refused = await requestToken(server, { cert: outsider.certPem, key: outsider.keyPem });
    t.equal(refused.status, 401);
    const entry = page.locator('#decision-list > li', { hasText: 'intruder-42' });
    await entry.getByText('Refused by rule trusted-anchor').waitFor();
    await entry
      .locator('.refusal .reason')
      .getByText(/^no tenant trusts this chain/)
      .waitFor();
    await entry.getByText('Chain checks, leaf to anchor').click();
    await entry.getByText('Device certificate (leaf)').waitFor();

    await page.getByRole('combobox', { name: 'Outcome' }).selectOption('refused');
    await page.getByText('1 of 4 decision(s) shown.').waitFor();
    t.equal(await page.locator('#decision-list > li').count(), 1);
    await entry.getByText('Device certificate (leaf)').waitFor();
    t.pass('opened chain details stay open when the list is drawn again');
    await page.getByRole('combobox', { name: 'Outcome' }).selectOption('');
    await page.getByRole('combobox', { name: 'Tenant' }).selectOption('t200');
    await page.getByText('1 of 4 decision(s) shown.').waitFor();
    await page.locator('#decision-list > li', { hasText: 'partner-sensor-1' }).waitFor();
    await page.getByRole('combobox', { name: 'Tenant' }).selectOption('');
    await page.getByText('4 of 4 decision(s) shown.').waitFor();
    await entry.getByText('Chain checks, leaf to anchor').click();
    await screenshot(page, 'live-decisions', t);

    await page.getByRole('link', { name: 'Chain check' }).click();
    // Uploaded as a DER file: the page turns it into PEM in the text box.
    await page.getByLabel('…or load a certificate file (PEM or DER)').setInputFiles({
      name: 'intruder-42.der',
      mimeType: 'application/pkix-cert',
      buffer: outsider.credential.certificate.der,
    });
    await page.waitForFunction(() =>
      (document.getElementById('chain-text') as HTMLTextAreaElement).value.startsWith(
        '-----BEGIN CERTIFICATE-----',
      ),
    );
    await page.getByRole('button', { name: 'Check chain' }).click();
    const result = page.locator('#chain-result');
    await result.getByText('Refused by rule trusted-anchor').waitFor();
    t.match(await result.locator('.reason').textContent(), /^no tenant trusts this chain/);

    await page.getByLabel('Certificate chain (PEM)').fill(expired.chainPem);
    await page.getByRole('button', { name: 'Check chain' }).click();
    await result.getByText('Refused by rule not-expired').waitFor();
    const links = result.locator('ol.links > li');
    t.equal(await links.count(), 3, 'leaf, intermediate and anchor');
    await links.nth(0).getByText('✘ failed').waitFor();
    await links.nth(2).getByText('Trusted certificate (anchor)').waitFor();
    await screenshot(page, 'chain-check', t);
  });

  await t.test('devices with their certificate and last token request', async (t) => {
    await page.getByRole('link', { name: 'Devices' }).click();
    const table = page.getByRole('table', { name: 'Devices of t100' });
    const row = table.getByRole('row', { name: /lab-device-01/ });
    await row.getByText('CN=lab-device-01').waitFor();
    await row.getByText('issued', { exact: true }).waitFor();
    await table
      .getByRole('row', { name: /gateway-0007/ })
      .getByText('none yet')
      .waitFor();
    t.pass('devices shown');
    await screenshot(page, 'devices', t);
  });

  await t.test("a device's data, and an operation created from the page", async (t) => {
    // lab-device-02 runs the REST integration: its object, its serial, a measurement and an alarm.
    const issued = await requestToken(server, { cert: second.certPem, key: second.keyPem });
    const auth = `Bearer ${(issued.json() as { accessToken: string }).accessToken}`;
    // The token request is a decision: the view is drawn again once it arrives live. Wait for that
    // redraw, so it cannot replace the operation form while the test types into it.
    const requested = new Date(server.clock.now()).toISOString().slice(0, 19).replace('T', ' ');
    await page
      .getByRole('table', { name: 'Devices of t100' })
      .getByRole('row', { name: /lab-device-02/ })
      .getByText(requested)
      .waitFor();
    const send = async (path: string, body: unknown) =>
      (
        await call(server, {
          method: 'POST',
          path,
          headers: { authorization: auth, accept: 'application/json', 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).json() as { id: string };
    const time = new Date(server.clock.now()).toISOString();
    const { id } = await send('/inventory/managedObjects', {
      name: 'Lab device 2',
      type: 'c8y_LabDevice',
      c8y_IsDevice: {},
      c8y_SupportedOperations: ['c8y_Restart', 'c8y_Command'],
    });
    await send(`/identity/globalIds/${id}/externalIds`, { type: 'c8y_Serial', externalId: 'lab-device-02' });
    await send('/measurement/measurements', {
      source: { id },
      time,
      type: 'c8y_TemperatureMeasurement',
      c8y_TemperatureMeasurement: { T: { value: 21.5, unit: 'C' } },
    });
    await send('/alarm/alarms', {
      source: { id },
      time,
      type: 'c8y_HeatAlarm',
      text: 'Too hot',
      severity: 'MAJOR',
    });

    await page.getByRole('button', { name: 'Show data of lab-device-02' }).click();
    const measurements = page.getByRole('table', { name: 'Latest measurements of lab-device-02' });
    await measurements.getByText('c8y_TemperatureMeasurement.T 21.5 C').waitFor();
    await page.getByRole('table', { name: 'Latest alarms of lab-device-02' }).getByText('Too hot').waitFor();
    await page
      .getByText('Managed object', { exact: false })
      .getByText(/Lab device 2/)
      .first()
      .waitFor();

    const form = page.getByRole('form', { name: 'Create an operation for lab-device-02' });
    t.equal(
      await form.getByLabel('Operation fragment').inputValue(),
      'c8y_Restart',
      'the first supported operation',
    );
    await form.getByLabel('Operation fragment').fill('c8y_Command');
    await form.getByLabel('Parameters (a JSON object)').fill('{"text": "uptime"}');
    await form.getByLabel('Description (optional)').fill('How long is it up?');
    await form.getByRole('button', { name: 'Create operation' }).click();
    await page
      .getByRole('status')
      .getByText(/Operation \d+ \(c8y_Command\) created for lab-device-02/)
      .waitFor();
    const operations = page.getByRole('table', { name: 'Latest operations of lab-device-02' });
    await operations.getByText('PENDING').waitFor();
    const stored = server.app.services.operations.list(
      { tenantId: 't100', userName: 'admin', roles: new Set(['ROLE_DEVICE_CONTROL_READ']) },
      { deviceId: id },
      { currentPage: 1, pageSize: 5, withTotal: false },
    );
    t.match(stored.items[0]?.record, { status: 'PENDING', fragments: { c8y_Command: { text: 'uptime' } } });
    await screenshot(page, 'device-data', t);
    await page.getByRole('button', { name: 'Hide data of lab-device-02' }).click();
    await measurements.waitFor({ state: 'detached' });
  });

  await t.test('the decoder shows header and claims and whether a token is valid here now', async (t) => {
    const token = (
      (await requestToken(server, { cert: lab.certPem, key: lab.keyPem, chainHeader: labChain })).json() as {
        accessToken: string;
      }
    ).accessToken;
    await page.getByRole('link', { name: 'Token decoder' }).click();
    await page.getByLabel('Token (JWT)').fill(token);
    await page.getByRole('button', { name: 'Decode' }).click();
    const result = page.locator('#decoder-result');
    await result.getByText(/Valid here now/).waitFor();
    await result.getByRole('row', { name: /device_lab-device-01/ }).waitFor();
    t.match(await result.locator('pre').textContent(), /"alg": "RS256"/);
    await screenshot(page, 'token-decoder', t);

    await page.getByRole('link', { name: 'Tokens' }).click();
    await page.getByRole('button', { name: /Revoke the token of lab-device-01/ }).click();
    await page.getByRole('status').getByText('The token of lab-device-01 is revoked').waitFor();
    const me = await call(server, {
      path: '/user/currentUser',
      headers: { authorization: `Bearer ${token}` },
    });
    t.equal(me.status, 401, 'the revoked token is refused');
    await page
      .getByRole('row', { name: /lab-device-01/ })
      .getByText('revoked', { exact: true })
      .waitFor();
    await screenshot(page, 'tokens', t);

    await page.getByRole('link', { name: 'Token decoder' }).click();
    await page.getByRole('button', { name: 'Decode' }).click();
    await page.locator('#decoder-result').getByText('Refused here now by rule token-revoked').waitFor();
  });

  await t.test('disabling the CA in the dashboard makes the next token request fail', async (t) => {
    await page.getByRole('link', { name: 'Tenants' }).click();
    // By keyboard: focus the button and press Enter; focus stays on the (redrawn) button.
    await page.getByRole('button', { name: 'Disable trusted certificate t100 CA' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('status').getByText('Trusted certificate t100 CA is now DISABLED.').waitFor();
    await page.getByRole('button', { name: 'Enable trusted certificate t100 CA' }).waitFor();
    t.equal(
      await page.evaluate(() => document.activeElement?.getAttribute('aria-label')),
      'Enable trusted certificate t100 CA',
      'focus stays on the control',
    );
    const refused = await requestToken(server, { cert: lab.certPem, key: lab.keyPem, chainHeader: labChain });
    t.equal(refused.status, 401, 'refused once the CA is disabled');
    await page.getByRole('link', { name: 'Live decisions' }).click();
    await page.locator('#decision-list > li').first().getByText('Refused by rule anchor-enabled').waitFor();

    await page.getByRole('link', { name: 'Tenants' }).click();
    await page.getByRole('button', { name: 'Enable trusted certificate t100 CA' }).click();
    await page.getByRole('button', { name: 'Disable trusted certificate t100 CA' }).waitFor();
    t.equal(
      (await requestToken(server, { cert: lab.certPem, key: lab.keyPem, chainHeader: labChain })).status,
      200,
    );
  });

  await t.test('reset to the seed, after confirming', async (t) => {
    await page.getByRole('button', { name: 'Reset to seed…' }).click();
    await page
      .getByRole('dialog', { name: 'Reset to the seed?' })
      .getByRole('button', { name: 'Reset now' })
      .click();
    await page.getByRole('status').getByText('Reset to the seed: tenants t100, t200.').waitFor();
    t.equal(server.app.services.options.lifespanSeconds('t100'), 3600, 'the lifetime is the seed’s again');
    await page.getByRole('link', { name: 'Devices' }).click();
    const devices = page.getByRole('table', { name: 'Devices of t100' });
    await devices.getByRole('row', { name: /gateway-0007/ }).waitFor();
    // The seeded device is there before the view's fetch after the reset lands too: give the
    // auto-registered one a moment to go before counting.
    await devices
      .getByText('lab-device-01')
      .first()
      .waitFor({ state: 'detached', timeout: 5000 })
      .catch(() => {});
    t.equal(await devices.getByText('lab-device-01').count(), 0, 'auto-registered devices are gone');
  });

  await t.test('sign out', async (t) => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const status = await page.evaluate(async () => (await fetch('/_mock/ui/api/tenants')).status);
    t.equal(status, 401, 'the session is gone, also for the browser');
  });

  t.same(pageErrors, [], 'no script errors in the page (a CSP refusal would be one)');
  t.same(elsewhere, [], 'nothing is loaded from anywhere but the mock');
});

t.test('a tenant administrator signs in and sees only their tenant', async (t) => {
  const server = await startServer(t, { listen: true, seed });
  const browser = await launchBrowser(t, server);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${server.origin}/_mock/ui/#tenants`);
  await page.getByLabel('User', { exact: true }).fill('t100/admin');
  await page.getByLabel('Password', { exact: true }).fill('admin-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Tenant t100' }).waitFor();
  t.equal(await page.getByRole('heading', { name: 'Tenant t200' }).count(), 0);
  t.notOk(
    await page.getByRole('button', { name: 'Reset to seed…' }).isVisible(),
    'no reset for a tenant administrator',
  );
  await page.reload();
  await page.locator('#who').getByText('Signed in as t100/admin').waitFor();
  t.pass('the session survives a reload');
});

t.test("the live view shows each decision's door, and what the MQTT door did", async (t) => {
  const server = await startServer(t, { listen: true, seed, mqtt: true });
  const browser = await launchBrowser(t, server);
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, reducedMotion: 'reduce' });
  await page.goto(`${server.origin}/_mock/ui/#decisions`);
  await page.getByLabel('Mock administrator (admin secret)').check();
  await page.getByLabel('Admin secret', { exact: true }).fill(ADMIN_SECRET);
  await page.getByLabel('Admin secret', { exact: true }).press('Enter');
  await page.locator('#who').getByText('Signed in as mock administrator').waitFor();
  await page.getByRole('link', { name: 'Live decisions' }).click();

  const rest = await device(root, now, 'rest-device-01');
  t.equal((await requestToken(server, { cert: rest.certPem, key: rest.keyPem })).status, 200);
  const restEntry = page.locator('#decision-list > li', { hasText: 'rest-device-01' });
  await restEntry.locator('.badge', { hasText: /^REST$/ }).waitFor();

  const mqttDevice = await device(root, now, 'mqtt-device-01');
  const client = await connectDevice(t, server, {
    cert: mqttDevice.certPem,
    key: mqttDevice.keyPem,
    clientId: 'd:mqtt-device-01',
  });
  await client.publishAsync('s/us', '100,Lab MQTT device\n200,c8y_Temperature,T,21.5,C', { qos: 1 });
  const entries = page.locator('#decision-list > li', { hasText: 'mqtt-device-01' });
  const connected = entries.filter({ hasText: 'connected 200' });
  await connected.locator('.badge', { hasText: /^MQTT$/ }).waitFor();
  await connected.getByText('connect · client ID d:mqtt-device-01 · certificate · CONNACK 0').waitFor();
  const message = entries.filter({ hasText: 'message 200' });
  await message.getByText('publish · client ID d:mqtt-device-01 · certificate · topic s/us').waitFor();
  await message.getByText('200,c8y_Temperature,T,21.5,C').waitFor();
  t.pass('connect and message are shown with their door and lines');

  const refused = await device(stranger, now, 'mqtt-intruder');
  await refusedConnect(server, { cert: refused.certPem, key: refused.keyPem, clientId: 'mqtt-intruder' });
  const handshake = page.locator('#decision-list > li', { hasText: 'mqtt-intruder' });
  await handshake.getByText('Refused by rule trusted-anchor').waitFor();
  await handshake.getByText(/^handshake$/).waitFor();
  await page.getByRole('combobox', { name: 'Outcome' }).selectOption('connected');
  await page.locator('#decision-list > li').first().getByText('connected 200').waitFor();
  t.equal(await page.locator('#decision-list > li').count(), 1, 'the outcome filter knows MQTT outcomes');
  t.same(await accessibilityViolations(page), [], 'no WCAG 2.1 A/AA violations found by axe');
});

t.test(
  'every page says the clock is not real time; fault rules and injected faults are marked',
  async (t) => {
    const server = await startServer(t, { listen: true, seed });
    const browser = await launchBrowser(t, server);
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, reducedMotion: 'reduce' });
    await page.goto(`${server.origin}/_mock/ui/#decisions`);
    await page.getByLabel('Mock administrator (admin secret)').check();
    await page.getByLabel('Admin secret', { exact: true }).fill(ADMIN_SECRET);
    await page.getByLabel('Admin secret', { exact: true }).press('Enter');
    await page.locator('#who').getByText('Signed in as mock administrator').waitFor();
    t.equal(await page.locator('#mock-state').isHidden(), true, 'nothing to say on real time without rules');

    const control = { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' };
    const put = await call(server, {
      method: 'PUT',
      path: '/_mock/clock',
      headers: control,
      body: '{"advance":"PT1H30M"}',
    });
    t.equal(put.status, 200);
    const rule = JSON.stringify({
      door: 'rest',
      path: '/devicecontrol/deviceAccessToken',
      action: 'status',
      status: 503,
      times: 2,
    });
    t.equal(
      (await call(server, { method: 'POST', path: '/_mock/faults', headers: control, body: rule })).status,
      201,
    );

    for (const view of ['Tenants', 'Devices', 'Tokens', 'Live decisions']) {
      await page.getByRole('link', { name: view }).click();
      await page
        .locator('#mock-clock')
        .getByText('Mock clock: 2026-06-01 13:30:00 UTC, 1 h 30 min ahead of real time.')
        .waitFor();
      await page
        .locator('#mock-faults')
        .getByText(
          'Rule 1: REST any method /devicecontrol/deviceAccessToken → answer 503 general/Service Unavailable, 2 left; injected 0 time(s).',
        )
        .waitFor();
    }
    t.pass('each view shows the clock and the rule');

    const dev = await device(root, now, 'fault-device-01');
    t.equal((await requestToken(server, { cert: dev.certPem, key: dev.keyPem })).status, 503);
    const injected = page.locator('#decision-list > li', { hasText: 'fault-device-01' });
    await injected.getByText('injected 503').waitFor();
    await injected
      .getByText('Injected by fault rule 1 of the test suite, not a decision of the platform’s rules')
      .waitFor();
    await page
      .locator('#mock-faults')
      .getByText(/1 left; injected 1 time\(s\)/)
      .waitFor();
    await page.getByRole('combobox', { name: 'Outcome' }).selectOption('injected');
    t.equal(await page.locator('#decision-list > li').count(), 1, 'the outcome filter knows injected faults');
    t.same(await accessibilityViolations(page), [], 'no WCAG 2.1 A/AA violations found by axe');

    await call(server, { method: 'PUT', path: '/_mock/clock', headers: control, body: '{"real":true}' });
    await call(server, {
      method: 'DELETE',
      path: '/_mock/faults',
      headers: { authorization: control.authorization },
    });
    await page.getByRole('link', { name: 'Tenants' }).click();
    await page.locator('#mock-state').waitFor({ state: 'hidden' });
    t.pass('back on real time without rules, the notice goes');
  },
);
