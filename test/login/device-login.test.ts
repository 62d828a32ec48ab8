import t from 'tap';
import { C8yError } from '../../src/errors.js';
import type { LoginVerdict } from '../../src/login/device-login.js';
import { TestClock } from '../helpers/clock.js';
import { DAY, device, header, intermediateCa, rootCa, type TestDevice } from '../helpers/pki.js';
import { adminSeed } from '../helpers/seeds.js';
import { startServer, type TestServer } from '../helpers/server.js';

/*
 * The device login as a domain service, called as each door calls it: no
 * HTTP, certificates as DER, the door named. The REST route's own tests show
 * the same rules on the wire.
 */
const now = Date.parse('2026-06-01T12:00:00.000Z');
const root = await rootCa(now, 'Login Root');
const intermediate = await intermediateCa(root, now, 'Login Intermediate');
const stranger = await rootCa(now, 'Nobody Trusts This CA');

function mock(t: Parameters<typeof startServer>[0], auto = true): Promise<TestServer> {
  return startServer(t, {
    listen: false,
    clock: new TestClock(now),
    seed: adminSeed([{ id: 't100', trusted: [{ pem: root.certificate.pem, auto }] }, { id: 't200' }]),
  });
}

const der = (dev: TestDevice) => dev.credential.certificate.der;
const ruleOf = (verdict: LoginVerdict) => (verdict.ok ? undefined : verdict.rule);

t.test('login: a new device is registered, gets a token, and asking again gets it back', async (t) => {
  const server = await mock(t);
  const { login, decisions } = server.app.services;
  const dev = await device(intermediate, now, 'login-new-01');
  const handshake = [der(dev), intermediate.certificate.der];

  const first = await login.login({
    door: 'rest',
    handshake,
    forwardedChain: header(intermediate.certificate.pem),
    remoteAddress: '192.0.2.7',
  });
  if (!first.ok) throw first.error;
  t.equal(first.outcome, 'issued');
  t.equal(first.session.tenant.id, 't100', 'the anchor decided the tenant');
  t.equal(first.session.device.externalId, 'login-new-01');
  t.equal(first.session.device.registration, 'auto');
  t.equal(first.session.registered, true, 'registered by this login');
  t.equal(first.session.anchor.certificate.fingerprint, root.certificate.fingerprint);
  t.match(first.token.record.jwt, /^eyJ/);
  t.match(first.decision, {
    door: 'rest',
    outcome: 'issued',
    status: 200,
    tenantId: 't100',
    externalId: 'login-new-01',
    remoteAddress: '192.0.2.7',
    token: { hash: first.token.record.hash },
  });
  t.equal(decisions.list({ limit: 1 })[0], first.decision, 'the decision is in the log');

  const again = await login.login({
    door: 'rest',
    handshake,
    forwardedChain: header(intermediate.certificate.pem),
  });
  if (!again.ok) throw again.error;
  t.equal(again.outcome, 'reused');
  t.equal(again.session.registered, false);
  t.equal(again.token.record.jwt, first.token.record.jwt, 'the same token before half its lifetime');
  t.equal(decisions.list().length, 2, 'one decision per login');
});

t.test('a device registered by this login gets a new token: the store is not asked for one', async (t) => {
  const server = await mock(t);
  const { login } = server.app.services;
  const dev = await device(root, now, 'login-fresh-01');
  // A token of the same user name left from an earlier state (its device row gone): not handed back.
  const left = {
    hash: 'left-over-token-hash',
    tenantId: 't100',
    userName: 'device_login-fresh-01',
    jwt: 'eyJhbGciOiJSUzI1NiJ9.e30.left-over',
    issuedAtSeconds: now / 1000,
    expiresAtSeconds: now / 1000 + 3600,
  };
  server.store.insertToken(left);
  const first = await login.login({ door: 'rest', handshake: [der(dev)] });
  if (!first.ok) throw first.error;
  t.equal(first.session.registered, true);
  t.equal(first.outcome, 'issued');
  t.not(first.token.record.jwt, left.jwt);
  const again = await login.login({ door: 'rest', handshake: [der(dev)] });
  if (!again.ok) throw again.error;
  t.equal(again.outcome, 'reused', 'the known device gets its current token back');
  t.equal(again.token.record.jwt, first.token.record.jwt);
});

t.test(
  'issuers only in the handshake: a door without a header takes them, the REST door by default not',
  async (t) => {
    const server = await mock(t);
    const { login } = server.app.services;
    const dev = await device(intermediate, now, 'login-handshake-01');
    const handshake = [der(dev), intermediate.certificate.der, root.certificate.der];

    const rest = await login.login({ door: 'rest', listener: 'mtls', handshake });
    t.equal(ruleOf(rest), 'handshake-chain');
    t.match(rest.decision, {
      listener: 'mtls',
      rule: 'handshake-chain',
      reason: /only in the TLS handshake/,
    });
    const mqtt = login.authenticate({ door: 'mqtt', handshake, handshakeIssuers: true });
    t.equal(mqtt.ok, true, 'MQTT has no header: the handshake is where its issuers come from');
    const lenient = await login.login({ door: 'rest', handshake, handshakeIssuers: true });
    t.equal(lenient.ok, true, '--accept-handshake-chain');

    // The API door asks for no certificate: its refusal says where the token endpoint is.
    const api = await login.login({ door: 'rest', listener: 'api', handshake: [] });
    t.equal(ruleOf(api), 'certificate-present');
    t.match(api.decision, { listener: 'api', reason: /this is the API door.*mTLS door/ });
  },
);

t.test('authenticate now, the token later: the shape of a door that connects first (MQTT)', async (t) => {
  const server = await mock(t);
  const { login, decisions } = server.app.services;
  const dev = await device(root, now, 'login-split-01');

  const authentication = login.authenticate({ door: 'mqtt', handshake: [der(dev)] });
  if (!authentication.ok) throw authentication.error;
  t.equal(authentication.session.door, 'mqtt');
  t.equal(authentication.session.device.externalId, 'login-split-01');
  t.match(authentication.decision, { door: 'mqtt', externalId: 'login-split-01', tenantId: 't100' });
  t.equal(decisions.list().length, 0, 'authenticate records nothing: the door decides when');

  const token = await login.issueToken(authentication.session);
  t.equal(token.reused, false);
  const rest = await login.login({ door: 'rest', handshake: [der(dev)] });
  if (!rest.ok) throw rest.error;
  t.equal(rest.token.record.jwt, token.record.jwt, 'both doors hand out the one token of the device');
  t.equal(rest.outcome, 'reused');

  server.clock.advance(31 * 60_000);
  const renewed = await login.issueToken(authentication.session);
  t.equal(renewed.reused, false, 'past half the lifetime the later token is new');
});

t.test('a refusal is data: the error a door renders, the rule, and the recorded decision', async (t) => {
  const server = await mock(t, false);
  const { login, decisions } = server.app.services;

  const untrusted = await device(stranger, now, 'login-stranger-01');
  const refused = await login.login({ door: 'rest', handshake: [der(untrusted)] });
  t.equal(refused.ok, false);
  if (refused.ok) return;
  t.ok(refused.error instanceof C8yError);
  t.same(refused.error.toBody(), {
    error: 'security/Unauthorized',
    message: 'Invalid certificate chain!',
    info: 'https://www.cumulocity.com/guides/reference-guide/#error_reporting',
  });
  t.equal(refused.error.status, 401);
  t.equal(refused.rule, 'trusted-anchor');
  t.match(refused.decision, { door: 'rest', outcome: 'refused', status: 401, rule: 'trusted-anchor' });
  t.match(refused.decision.reason, /no tenant trusts this chain/);

  const unregistered = await device(root, now, 'login-unknown-01');
  const off = login.authenticate({ door: 'est', handshake: [der(unregistered)] });
  t.equal(off.ok, false);
  if (off.ok) return;
  t.equal(off.error.status, 422);
  t.equal(off.rule, 'registration', 'auto-registration off and the device unknown');
  t.match(off.decision, { door: 'est', outcome: 'refused', status: 422, tenantId: 't100' });

  const garbled = await login.login({
    door: 'rest',
    handshake: [der(unregistered)],
    forwardedChain: '-----BEGIN CERTIFICATE----- bm90IGEgY2VydGlmaWNhdGU= -----END CERTIFICATE-----',
  });
  t.equal(garbled.ok, false);
  if (garbled.ok) return;
  t.equal(garbled.error.status, 400);
  t.equal(garbled.rule, 'parse');
  t.match(garbled.error.message, /^Cannot parse X509 certificate\. : /);
  t.equal(decisions.list().length, 2, 'login records its refusals; authenticate alone does not');
});

t.test('the chain rules exist once: the CRL rule and one tenant’s anchors', async (t) => {
  const server = await mock(t);
  const { login, chains, options, crl } = server.app.services;
  const dev = await device(root, now, 'login-crl-01');
  const leaf = chains.reader.chain([der(dev)]);

  crl.revokeFromPayload('t100', [{ serialHex: `0x00${leaf[0]!.serialHex}`, revocationDate: undefined }]);
  const listedOnly = await login.login({ door: 'rest', handshake: [der(dev)] });
  t.equal(listedOnly.ok, true, 'a listed serial passes while the offline check is off');
  options.set({
    tenantId: 't100',
    category: 'configuration',
    key: 'crl.offline.check.enabled',
    value: 'true',
  });
  const revoked = await login.login({ door: 'rest', handshake: [der(dev)] });
  t.equal(ruleOf(revoked), 'not-revoked', 'the login refuses it once the check is on');
  t.equal(chains.verifyForwarded(leaf, 't100').rule, 'not-revoked', 'so does the check of one tenant');

  const other = await device(root, now, 'login-scope-01');
  const chain = chains.reader.chain([der(other)]);
  t.equal(chains.verifyForwarded(chain, 't100').ok, true, "t100's anchors take it");
  t.equal(chains.verifyForwarded(chain, 't200').rule, 'trusted-anchor', "t200's anchors do not");
  t.equal(chains.verifyForwarded(chain).ok, true, 'all anchors take it');

  const forwarded = await login.login({
    door: 'rest',
    handshake: [der(other)],
    forwardedChain: header(other.certPem, root.certificate.pem),
  });
  t.equal(forwarded.ok, true, 'a forwarded chain that starts with the TLS leaf is read as such');
});

t.test('a fault is not a refusal: recorded as 500, then thrown to the door', async (t) => {
  const server = await mock(t);
  const { login, decisions } = server.app.services;
  const dev = await device(root, now, 'login-fault-01', { notAfter: new Date(now + DAY) });
  server.store.close();
  await t.rejects(login.login({ door: 'rest', handshake: [der(dev)] }), /not open/);
  t.match(decisions.list({ limit: 1 })[0], { door: 'rest', outcome: 'refused', status: 500 });
});

t.test(
  'a registration the store cannot write fails the login: no token for a device not stored',
  async (t) => {
    const server = await mock(t);
    const { login, decisions } = server.app.services;
    const dev = await device(root, now, 'login-unstored-01');
    server.store.putDevice = () => {
      throw new Error('disk I/O error');
    };
    await t.rejects(login.login({ door: 'rest', handshake: [der(dev)] }), /disk I\/O error/);
    t.match(decisions.list({ limit: 1 })[0], { outcome: 'refused', status: 500 });
    t.equal(
      server.store.latestToken('t100', 'device_login-unstored-01'),
      undefined,
      'no token stored either',
    );
    // Two CONNECTs of one new device in one turn: the second waits for the first one's write.
    const both = [0, 1].map(() => login.authenticate({ door: 'mqtt', handshake: [der(dev)] }));
    t.same(
      both.map((a) => a.ok && a.session.registered),
      [true, false],
    );
    for (const [i, authentication] of both.entries()) {
      if (!authentication.ok) throw authentication.error;
      await t.rejects(authentication.stored ?? Promise.resolve(), /disk I\/O error/, `login ${i + 1}`);
    }
  },
);

t.test("a connection's handshake is read once, and every rule still runs on each login", async (t) => {
  const server = await mock(t);
  const { login, chains, trust } = server.app.services;
  const dev = await device(root, now, 'login-kept-01');
  const handshake = [der(dev)];
  const read = chains.reader.handshake(handshake);
  t.equal(chains.reader.handshake(handshake), read, 'the same array: the certificates read before');
  t.not(chains.reader.handshake([der(dev)]), read, 'another array is read anew');
  t.equal(chains.reader.handshake([der(dev)])[0], read[0], 'into the certificate its bytes name');

  t.equal((await login.login({ door: 'rest', handshake })).ok, true);
  trust.update('t100', root.certificate.fingerprint, { status: 'DISABLED' });
  t.equal(
    ruleOf(await login.login({ door: 'rest', handshake })),
    'anchor-enabled',
    'a disabled anchor refuses it',
  );
  trust.update('t100', root.certificate.fingerprint, { status: 'ENABLED' });
  t.equal((await login.login({ door: 'rest', handshake })).ok, true, 'and lets it in again');
});

t.test(
  'a registration is committed with the group: seen at once, stored before the device is let in',
  async (t) => {
    const server = await mock(t);
    const { login, devices, state } = server.app.services;
    const authenticate = async (name: string) => {
      const dev = await device(root, now, name);
      const authentication = login.authenticate({
        door: 'mqtt',
        handshake: [der(dev)],
        handshakeIssuers: true,
      });
      if (!authentication.ok) throw authentication.error;
      return authentication;
    };

    const first = await authenticate('login-group-01');
    t.equal(first.session.registered, true);
    t.equal(
      server.store.getDevice('t100', 'login-group-01'),
      undefined,
      'not written before the group commits',
    );
    t.equal(devices.get('t100', 'login-group-01'), first.session.device, 'but the devices see it');
    t.same(
      devices.list('t100').map((d) => d.externalId),
      ['login-group-01'],
      'and list it',
    );
    t.equal(
      login.authenticate({ door: 'mqtt', handshake: [der(await device(root, now, 'login-group-01'))] }).ok,
      true,
    );
    await first.stored;
    t.match(server.store.getDevice('t100', 'login-group-01'), { registration: 'auto', enabled: undefined });

    // Disabled before the group's write: the write keeps it disabled.
    const second = await authenticate('login-group-02');
    devices.setEnabled('t100', 'login-group-02', false);
    await second.stored;
    t.equal(server.store.getDevice('t100', 'login-group-02')?.enabled, false, 'stored disabled');
    t.equal(
      ruleOf(
        await login.login({ door: 'rest', handshake: [der(await device(root, now, 'login-group-02'))] }),
      ),
      'user-enabled',
      'and refused',
    );

    // An import replaces the state the registration was made in; one that fails keeps it.
    t.equal(
      (await login.login({ door: 'rest', handshake: [der(await device(root, now, 'login-group-00'))] })).ok,
      true,
    );
    const snapshot = state.export();
    const refused = await authenticate('login-group-03');
    const tokens = snapshot.tables.tokens ?? [];
    await t.rejects(
      state.import({ ...snapshot, tables: { ...snapshot.tables, tokens: [...tokens, ...tokens] } }),
      /another record has the same value/,
    );
    await refused.stored;
    t.ok(
      server.store.getDevice('t100', 'login-group-03'),
      'a failed import leaves the registration to be written',
    );
    const replaced = await authenticate('login-group-04');
    await state.import(snapshot);
    await replaced.stored;
    t.equal(
      server.store.getDevice('t100', 'login-group-04'),
      undefined,
      'gone with the state it was made in',
    );
    t.equal(devices.get('t100', 'login-group-04'), undefined);
  },
);

t.test('the state a reset replaces takes its unwritten registrations with it', async (t) => {
  const server = await mock(t);
  const { login, devices, seeder } = server.app.services;
  const [one, two] = [await device(root, now, 'login-reset-01'), await device(root, now, 'login-reset-02')];
  // Both in one turn of the event loop: neither is written when the reset starts.
  const [gone, seeded] = [one, two].map((dev) => {
    const authentication = login.authenticate({ door: 'mqtt', handshake: [der(dev)] });
    if (!authentication.ok) throw authentication.error;
    return authentication;
  });
  // No users: nothing to hash, so the seed is written before the group commits.
  await seeder.apply(
    { tenants: [{ id: 't100', domain: 't100.example.test', devices: [{ externalId: 'login-reset-02' }] }] },
    'reset',
    { replace: true },
  );
  await Promise.all([gone!.stored, seeded!.stored]);
  t.equal(server.store.getDevice('t100', 'login-reset-01'), undefined);
  t.equal(devices.get('t100', 'login-reset-01'), undefined);
  t.equal(
    server.store.getDevice('t100', 'login-reset-02')?.registration,
    'seed',
    'the seed registered it anew',
  );
});
