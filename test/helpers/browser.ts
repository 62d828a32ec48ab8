import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { TestServer } from './server.js';

/** Debian's chromium package; never a browser downloaded by a tool. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/**
 * base64 SHA-256 of the server certificate's public key: Chromium is told to
 * accept exactly this key (--ignore-certificate-errors-spki-list), since it
 * cannot be given the test server's CA.
 */
export function serverKeyPin(server: TestServer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: '127.0.0.1', port: server.port, servername: 'localhost', ca: server.serverCa },
      () => {
        const certificate = new X509Certificate(socket.getPeerCertificate().raw);
        const spki = certificate.publicKey.export({ type: 'spki', format: 'der' });
        socket.end();
        resolve(createHash('sha256').update(spki).digest('base64'));
      },
    );
    socket.on('error', reject);
  });
}

/** Headless Chromium trusting the test server's key; closed at teardown. */
export async function launchBrowser(t: Teardown, server: TestServer): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium)`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
      `--ignore-certificate-errors-spki-list=${await serverKeyPin(server)}`,
    ],
  });
  t.teardown(() => browser.close());
  return browser;
}

/**
 * Where screenshots go: docs/screenshots when UPDATE_SCREENSHOTS=1 (npm run
 * screenshots), else a temporary folder, so a test run leaves the work tree clean.
 */
export function screenshotDir(): string {
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    const dir = join(import.meta.dirname, '..', '..', 'docs', 'screenshots');
    mkdirSync(dir, { recursive: true });
    return dir;
  }
  return mkdtempSync(join(tmpdir(), 'c8y-ui-screens-'));
}

let axeSource: string | undefined;

/**
 * The WCAG 2.1 A and AA rules axe-core finds broken on the page as it is now,
 * one line each. axe runs through the debugging protocol, so the page's
 * Content Security Policy stays as it is.
 */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run: (context: Document, options: object) => Promise<AxeResult> } }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations.map(
      (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`,
    );
  });
}

interface AxeResult {
  violations: { id: string; help: string; nodes: { target: string[] }[] }[];
}
