import t from 'tap';
import { DEFAULT_CONFIG, DEFAULT_RETENTION } from '../../src/config.js';
import { type ServeOptions, serveCommand, serveSettings } from '../../src/server/serve-command.js';

/**
 * The serve option table, in process: the device data options (issue 15) as
 * flags and as C8Y_MOCK_* variables, through to the validated configuration.
 * The action is replaced, so nothing starts.
 */
function configOf(args: string[]) {
  const command = serveCommand({ stderr: () => {} })
    .exitOverride()
    .configureOutput({ writeErr: () => {} })
    .action(() => {});
  command.parse(args, { from: 'user' });
  return serveSettings(command.opts<ServeOptions>(), false).config;
}

/** Sets variables for one call and puts the environment back. */
function withEnv<T>(vars: Record<string, string>, fn: () => T): T {
  const before = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  Object.assign(process.env, vars);
  try {
    return fn();
  } finally {
    for (const [name, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

t.test('the device data options default as documented', async (t) => {
  const config = configOf([]);
  t.equal(config.responseBody, 'accept');
  t.same(config.retention, { maxMeasurements: 1_000_000, maxEvents: 100_000, maxAlarms: 100_000 });
  t.same(config.retention, DEFAULT_RETENTION);
  t.equal(config.autoRegistrationInventory, false);
  t.equal(config.responseBody, DEFAULT_CONFIG.responseBody);
});

t.test('each is a flag', async (t) => {
  const config = configOf([
    '--response-body',
    'always',
    '--max-measurements',
    '10',
    '--max-events',
    '20',
    '--max-alarms',
    '30',
    '--auto-registration-inventory',
  ]);
  t.equal(config.responseBody, 'always');
  t.same(config.retention, { maxMeasurements: 10, maxEvents: 20, maxAlarms: 30 });
  t.equal(config.autoRegistrationInventory, true);
});

t.test('and a C8Y_MOCK_* variable', async (t) => {
  const config = withEnv(
    {
      C8Y_MOCK_RESPONSE_BODY: 'always',
      C8Y_MOCK_MAX_MEASUREMENTS: '11',
      C8Y_MOCK_MAX_EVENTS: '21',
      C8Y_MOCK_MAX_ALARMS: '31',
      C8Y_MOCK_AUTO_REGISTRATION_INVENTORY: 'true',
    },
    () => configOf([]),
  );
  t.equal(config.responseBody, 'always');
  t.same(config.retention, { maxMeasurements: 11, maxEvents: 21, maxAlarms: 31 });
  t.equal(config.autoRegistrationInventory, true);
});

t.test('bad values are refused with the option named', async (t) => {
  t.throws(() => configOf(['--response-body', 'never']), /--response-body/);
  t.throws(() => configOf(['--max-measurements', '0']), /max-measurements/);
});

t.test('a yes/no variable is read, not only seen: false and 0 leave the option off', async (t) => {
  for (const value of ['false', '0', 'no']) {
    const config = withEnv({ C8Y_MOCK_EPHEMERAL: value, C8Y_MOCK_AUTO_REGISTRATION_INVENTORY: value }, () =>
      configOf([]),
    );
    t.equal(config.ephemeral, false, `C8Y_MOCK_EPHEMERAL=${value}`);
    t.equal(config.autoRegistrationInventory, false, `C8Y_MOCK_AUTO_REGISTRATION_INVENTORY=${value}`);
  }
  for (const value of ['true', '1', 'yes']) {
    t.equal(withEnv({ C8Y_MOCK_EPHEMERAL: value }, () => configOf([])).ephemeral, true, `=${value}`);
  }
  t.equal(configOf(['--ephemeral']).ephemeral, true, 'the flag alone');
  t.equal(configOf(['--ephemeral', 'false']).ephemeral, false, 'the flag with a value');
  t.throws(() => withEnv({ C8Y_MOCK_EPHEMERAL: 'maybe' }, () => configOf([])), /EPHEMERAL.*true or false/);
});

t.test('the doors and the handshake chain (issue 17): defaults, flags and variables', async (t) => {
  const defaults = configOf([]);
  t.equal(defaults.port, 8443, 'the mTLS door on the platform port');
  t.equal(defaults.apiPort, 9443, 'the API door on a port a user without root can bind');
  t.equal(defaults.mtlsServes, 'all');
  t.equal(defaults.acceptHandshakeChain, false, 'only the leaf from the handshake, as the platform');
  t.equal(configOf(['--api-port', '0']).apiPort, 0, '0 turns the API door off');
  const flags = configOf(['--api-port', '19443', '--mtls-serves', 'token', '--accept-handshake-chain']);
  t.equal(flags.apiPort, 19443);
  t.equal(flags.mtlsServes, 'token');
  t.equal(flags.acceptHandshakeChain, true);
  const vars = withEnv(
    {
      C8Y_MOCK_API_PORT: '443',
      C8Y_MOCK_MTLS_SERVES: 'token',
      C8Y_MOCK_ACCEPT_HANDSHAKE_CHAIN: 'true',
    },
    () => configOf([]),
  );
  t.equal(vars.apiPort, 443);
  t.equal(vars.mtlsServes, 'token');
  t.equal(vars.acceptHandshakeChain, true);
  t.throws(() => configOf(['--mtls-serves', 'some']), /mtls-serves/, 'an unknown choice is refused');
  t.throws(
    () => configOf(['--mtls-serves', 'token', '--api-port', '0']),
    /--mtls-serves token needs the API door/,
    'the token alone and no API door: nothing would serve the rest',
  );
});
