import t from 'tap';
import type { LoginAttempt, LoginVerdict } from '../../src/login/device-login.js';
import { DEVICE_ACCESS_TOKEN_FEATURE } from '../../src/tenants/feature-toggles.js';
import { CRL_OFFLINE, LIFESPAN } from '../../src/tenants/tenant-options.js';
import { TestClock } from '../helpers/clock.js';
import { DAY, device, header, intermediateCa, rootCa, type TestDevice } from '../helpers/pki.js';
import { adminSeed, type TenantSpec } from '../helpers/seeds.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { countStoreCalls } from '../helpers/store-reads.js';

/*
 * A connection's reused login is remembered (issue 19): its next login on the same connection
 * (the same handshake array, as `peerChain` gives one per connection) is answered from memory
 * while nothing it read has changed. These tests hold it to the rules: every change of state and
 * every instant at which a rule turns is seen at the very next login, as without the memory.
 */
const now = Date.parse('2026-06-01T12:00:00.000Z');
const root = await rootCa(now, 'Remembered Root');
const intermediate = await intermediateCa(root, now, 'Remembered Intermediate');
const HOUR = 3_600_000;

function mock(
  t: Parameters<typeof startServer>[0],
  options: TenantSpec['options'] = [],
): Promise<TestServer> {
  return startServer(t, {
    listen: false,
    clock: new TestClock(now),
    seed: adminSeed([{ id: 't100', trusted: [{ pem: root.certificate.pem, auto: true }], options }]),
  });
}

interface Connection {
  server: TestServer;
  dev: TestDevice;
  attempt: LoginAttempt;
  /** The token the first login issued; the second handed it back and is remembered. */
  jwt: string;
  reads: { count: number };
  login(attempt?: LoginAttempt): Promise<LoginVerdict>;
}

/** A device's connection after two logins: the first issued its token, the second reused it. */
async function connected(
  t: Parameters<typeof startServer>[0],
  cn: string,
  options: { tenantOptions?: TenantSpec['options']; leafValidity?: { notBefore: Date; notAfter: Date } } = {},
): Promise<Connection> {
  const server = await mock(t, options.tenantOptions);
  const dev = await device(intermediate, now, cn, options.leafValidity ?? {});
  const attempt: LoginAttempt = {
    door: 'rest',
    listener: 'mtls',
    handshake: [dev.credential.certificate.der],
    forwardedChain: header(intermediate.certificate.pem),
    remoteAddress: '192.0.2.9',
  };
  const login = (again: LoginAttempt = attempt) => server.app.services.login.login(again);
  const first = await login();
  if (!first.ok) throw first.error;
  const second = await login();
  if (!second.ok) throw second.error;
  if (first.outcome !== 'issued' || second.outcome !== 'reused') throw new Error('not issued, then reused');
  return { server, dev, attempt, jwt: first.token.record.jwt, reads: countStoreCalls(server.store), login };
}

const ruleOf = (verdict: LoginVerdict) => (verdict.ok ? verdict.outcome : verdict.rule);

t.test(
  "a connection's reused login again: the same answer, a decision of its own, no read of the store",
  async (t) => {
    const { server, jwt, reads, login } = await connected(t, 'remembered-01');
    const { decisions, clock } = server.app.services;
    const second = decisions.list({ limit: 1 })[0]!;
    clock.set(now + 60_000);

    const third = await login();
    if (!third.ok) throw third.error;
    t.equal(reads.count, 0, 'answered from memory');
    t.equal(third.outcome, 'reused');
    t.equal(third.token.record.jwt, jwt, 'the same token');
    t.equal(third.session.device.externalId, 'remembered-01');
    t.equal(third.session.registered, false);
    t.equal(decisions.list().length, 3, 'one decision per login');
    t.equal(decisions.list({ limit: 1 })[0], third.decision, 'recorded in the log');
    t.equal(third.decision.id, second.id + 1);
    t.equal(third.decision.time, now + 60_000, 'dated now');
    const { id: _, time: __, ...words } = third.decision;
    const { id: ___, time: ____, ...before } = second;
    t.same(words, before, 'described as the login it repeats');
    t.match(third.decision, { outcome: 'reused', status: 200, remoteAddress: '192.0.2.9', listener: 'mtls' });
  },
);

t.test('every change of what a login reads is seen at the next login on the connection', async (t) => {
  t.test('the token logged out: a new token', async (t) => {
    const { server, jwt, login } = await connected(t, 'remembered-logout');
    const { tokens } = server.app.services;
    tokens.revoke(tokens.find(tokens.latest('t100', 'device_remembered-logout')!.hash)!);
    const next = await login();
    if (!next.ok) throw next.error;
    t.equal(next.outcome, 'issued');
    t.not(next.token.record.jwt, jwt);
  });

  t.test('the device user disabled', async (t) => {
    const { server, login } = await connected(t, 'remembered-disabled');
    server.app.services.devices.setEnabled('t100', 'remembered-disabled', false);
    t.equal(ruleOf(await login()), 'user-enabled');
  });

  t.test('the anchor disabled, enabled, removed', async (t) => {
    const { server, login } = await connected(t, 'remembered-anchor');
    const { trust } = server.app.services;
    trust.update('t100', root.certificate.fingerprint, { status: 'DISABLED' });
    t.equal(ruleOf(await login()), 'anchor-enabled');
    trust.update('t100', root.certificate.fingerprint, { status: 'ENABLED' });
    t.equal(ruleOf(await login()), 'reused');
    trust.remove('t100', root.certificate.fingerprint);
    t.equal(ruleOf(await login()), 'trusted-anchor');
  });

  t.test('the offline CRL check switched on, then the serial revoked', async (t) => {
    const { server, dev, login } = await connected(t, 'remembered-crl');
    const { options, crl } = server.app.services;
    options.set({ tenantId: 't100', ...CRL_OFFLINE, value: 'true' });
    t.equal(ruleOf(await login()), 'reused', 'not on the list yet');
    crl.revokeFromPayload('t100', [
      { serialHex: dev.credential.certificate.serialHex, revocationDate: undefined },
    ]);
    t.equal(ruleOf(await login()), 'not-revoked');
  });

  t.test('the device token switched off for the tenant', async (t) => {
    const { server, login } = await connected(t, 'remembered-feature');
    server.app.services.features.set('t100', DEVICE_ACCESS_TOKEN_FEATURE, false);
    t.equal(ruleOf(await login()), 'feature-enabled');
  });

  t.test('the state reset: the device registered anew', async (t) => {
    const { server, jwt, login } = await connected(t, 'remembered-reset');
    await server.app.services.state.reset();
    const next = await login();
    if (!next.ok) throw next.error;
    t.equal(next.outcome, 'issued');
    t.equal(next.session.registered, true);
    t.not(next.token.record.jwt, jwt);
  });

  t.test('a write of any other row: read again, and remembered again', async (t) => {
    const { server, reads, login } = await connected(t, 'remembered-other');
    const other = await device(intermediate, now, 'remembered-other-02');
    const registered = await server.app.services.login.login({
      door: 'rest',
      handshake: [other.credential.certificate.der],
      forwardedChain: header(intermediate.certificate.pem),
    });
    t.equal(ruleOf(registered), 'issued');
    reads.count = 0;
    t.equal(ruleOf(await login()), 'reused');
    t.ok(reads.count > 0, 'the login read the store');
    reads.count = 0;
    t.equal(ruleOf(await login()), 'reused');
    t.equal(reads.count, 0, 'and was remembered again');
  });
});

t.test('time: remembered while the chain’s dates and the token’s reuse pass, to the instant', async (t) => {
  t.test('half the token’s lifetime', async (t) => {
    const { server, jwt, reads, login } = await connected(t, 'remembered-half');
    const { clock } = server.app.services;
    const halfLife = now + HOUR / 2;
    clock.set(halfLife - 1);
    t.equal(ruleOf(await login()), 'reused');
    t.equal(reads.count, 0, 'from memory up to the last instant');
    clock.set(halfLife);
    const next = await login();
    if (!next.ok) throw next.error;
    t.equal(next.outcome, 'issued', 'a new token at half the lifetime');
    t.not(next.token.record.jwt, jwt);
  });

  t.test('the leaf’s notAfter, with a token that outlives it', async (t) => {
    const notAfter = now + HOUR;
    const { server, reads, login } = await connected(t, 'remembered-expiry', {
      tenantOptions: [{ ...LIFESPAN, value: String(10 * 86_400) }],
      leafValidity: { notBefore: new Date(now - DAY), notAfter: new Date(notAfter) },
    });
    const { clock } = server.app.services;
    clock.set(notAfter);
    t.equal(ruleOf(await login()), 'reused', 'valid at its notAfter');
    t.equal(reads.count, 0, 'from memory');
    clock.set(notAfter + 1);
    t.equal(ruleOf(await login()), 'not-expired', 'expired a millisecond later');
  });

  t.test('an issuer that expires before the leaf', async (t) => {
    const notAfter = now + HOUR;
    const shortLived = await intermediateCa(root, now, 'Remembered Short Intermediate', {
      notBefore: new Date(now - DAY),
      notAfter: new Date(notAfter),
    });
    const server = await mock(t, [{ ...LIFESPAN, value: String(10 * 86_400) }]);
    const dev = await device(shortLived, now, 'remembered-issuer');
    const attempt: LoginAttempt = {
      door: 'rest',
      handshake: [dev.credential.certificate.der],
      forwardedChain: header(shortLived.certificate.pem),
    };
    const { login, clock } = server.app.services;
    t.equal(ruleOf(await login.login(attempt)), 'issued');
    t.equal(ruleOf(await login.login(attempt)), 'reused');
    clock.set(notAfter + 1);
    const verdict = await login.login(attempt);
    t.equal(ruleOf(verdict), 'not-expired');
    t.match(verdict.decision.reason, /Remembered Short Intermediate/, 'the issuer expired');
  });

  t.test('the clock set back before the token was issued, then before the leaf is valid', async (t) => {
    const { server, jwt, login } = await connected(t, 'remembered-back');
    const { clock } = server.app.services;
    clock.set(now - 1000);
    const next = await login();
    if (!next.ok) throw next.error;
    t.equal(next.outcome, 'issued', 'a token issued after now is not handed back');
    t.not(next.token.record.jwt, jwt);
    clock.set(now - 2 * DAY);
    t.equal(ruleOf(await login()), 'not-yet-valid');
  });
});

t.test('a token being signed for the device on another connection: the login runs in full', async (t) => {
  const { server, jwt, attempt, login } = await connected(t, 'remembered-signing');
  const { clock } = server.app.services;
  // Past half the lifetime another connection of the device starts signing its next token; then
  // the clock is set back into the first token's window before that token is stored.
  clock.set(now + HOUR / 2);
  const other = login({ ...attempt, handshake: [...attempt.handshake] });
  clock.set(now + 60_000);
  const next = await login();
  const signed = await other;
  if (!next.ok || !signed.ok) throw new Error('refused');
  t.equal(signed.outcome, 'issued');
  t.not(signed.token.record.jwt, jwt);
  t.equal(next.token.record.jwt, signed.token.record.jwt, 'the token being signed, as without the memory');
  t.equal(next.decision.token?.hash, signed.token.record.hash);
});

t.test('only the same attempt on the connection is remembered', async (t) => {
  const { reads, attempt, login } = await connected(t, 'remembered-attempt');
  t.equal(
    ruleOf(await login({ ...attempt, forwardedChain: 'not a certificate' })),
    'parse',
    'another header',
  );
  reads.count = 0;
  t.equal(ruleOf(await login({ ...attempt, remoteAddress: '192.0.2.10' })), 'reused');
  t.ok(reads.count > 0, 'another address: read again');
  reads.count = 0;
  t.equal(ruleOf(await login({ ...attempt, listener: 'api' })), 'reused');
  t.ok(reads.count > 0, 'another listener: read again');
  reads.count = 0;
  t.equal(ruleOf(await login({ ...attempt, handshake: [...attempt.handshake] })), 'reused');
  t.ok(reads.count > 0, 'another connection: read again');
});
