import { join } from 'node:path';
import t from 'tap';
import { accessibilityViolations, launchBrowser, screenshotDir } from '../helpers/browser.js';
import { TestClock } from '../helpers/clock.js';
import { deviceCsr, enroll, estSeed, registerWithOtp } from '../helpers/est.js';
import { ADMIN_PASSWORD } from '../helpers/seeds.js';
import { startServer } from '../helpers/server.js';

/*
 * The dashboard's enrollment view in headless Chromium: a tenant administrator
 * makes the tenant CA, sees a registered device wait, and sees its certificate
 * arrive live when it enrolls. Every step waits for what the page shows.
 */
t.test('a tenant administrator makes the CA and watches a device enroll', async (t) => {
  const server = await startServer(t, { listen: true, seed: estSeed(), clock: new TestClock(Date.now()) });
  const browser = await launchBrowser(t, server);
  const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));

  await page.goto(`${server.origin}/`);
  await page.getByLabel('User').fill('t100/admin');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByLabel('Password').press('Enter');
  await page.locator('#who').getByText('Signed in as t100/admin').waitFor();

  await page.getByRole('link', { name: 'Enrollment' }).click();
  await page.getByRole('heading', { name: 'Enrollment', level: 1 }).waitFor();
  await page.getByText('No certificate authority: devices cannot enroll').waitFor();
  t.equal(await page.getByRole('heading', { name: 'Tenant t200' }).count(), 0, 'only the own tenant');
  await page.getByRole('button', { name: 'Create the CA of t100' }).click();
  await page.getByRole('status').getByText('Tenant t100 has its certificate authority.').waitFor();
  await page.getByText('CN=t100, O=t100.example.test').first().waitFor();
  t.ok(server.app.services.authorities.current('t100'), 'the CA exists');

  await registerWithOtp(server, [['lab-enroll-01', 'lab-otp-0001']]);
  await page.getByRole('link', { name: 'Tokens' }).click();
  await page.getByRole('link', { name: 'Enrollment' }).click();
  const waiting = page.getByRole('table', { name: 'Devices waiting to enroll in t100' });
  await waiting.getByRole('rowheader', { name: /lab-enroll-01/ }).waitFor();
  await waiting.getByText('usable').waitFor();

  const csr = await deviceCsr('CN=lab-enroll-01');
  t.equal((await enroll(server, 'lab-enroll-01', 'lab-otp-0001', csr.der)).status, 200);
  const issued = page.getByRole('table', { name: 'Certificates issued by the CA of t100' });
  await issued.getByRole('rowheader', { name: /lab-enroll-01/ }).waitFor();
  await issued.getByText('enrolled').first().waitFor();
  await waiting.getByText('None: register a device').waitFor();

  await page.screenshot({ path: join(screenshotDir(), 'enrollment.png'), fullPage: true });
  t.same(await accessibilityViolations(page), [], 'no WCAG 2.1 A/AA violations found by axe');
  t.same(pageErrors, [], 'no errors in the page');
});
