import t from 'tap';
import { ConfigError, DEFAULT_ENROLLMENT, resolveConfig } from '../../src/config.js';
import { type ServeOptions, serveCommand, serveSettings } from '../../src/server/serve-command.js';

/**
 * The tenant CA and EST options (issue 16) as flags and C8Y_MOCK_* variables,
 * through to the validated configuration. The action is replaced, so nothing starts.
 */
function configOf(args: string[]) {
  const command = serveCommand({ stderr: () => {} })
    .exitOverride()
    .configureOutput({ writeErr: () => {} })
    .action(() => {});
  command.parse(args, { from: 'user' });
  return serveSettings(command.opts<ServeOptions>(), false).config;
}

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

const DAY = 86_400_000;

t.test(
  'the defaults are the platform’s: a year, 1095 days, the 2026 subject, auto-registration on',
  async (t) => {
    t.same(configOf([]).enrollment, {
      issuedCertificateValidityMs: 365 * DAY,
      otpValidityMs: DAY,
      caSubject: 'O={domain},CN={tenantId}',
      caValidityMs: 1095 * DAY,
      caAutoRegistration: true,
    });
    t.equal(
      resolveConfig().enrollment.caSubject,
      'O={domain},CN={tenantId}',
      'resolveConfig resolves the preset too',
    );
    t.equal(DEFAULT_ENROLLMENT.caSubject, 'domain');
  },
);

t.test('each is a flag', async (t) => {
  const config = configOf([
    '--issued-certificate-validity',
    '10m',
    '--enrollment-otp-validity',
    '90',
    '--ca-subject',
    'classic',
    '--ca-validity',
    '400d',
    '--ca-auto-registration',
    'false',
  ]);
  t.same(config.enrollment, {
    issuedCertificateValidityMs: 600_000,
    otpValidityMs: 90_000,
    caSubject: 'C=United States,O=Cumulocity,CN={tenantId}',
    caValidityMs: 400 * DAY,
    caAutoRegistration: false,
  });
});

t.test('and a C8Y_MOCK_* variable', async (t) => {
  const config = withEnv(
    {
      C8Y_MOCK_ISSUED_CERTIFICATE_VALIDITY: '2d',
      C8Y_MOCK_ENROLLMENT_OTP_VALIDITY: '30s',
      C8Y_MOCK_CA_SUBJECT: 'O=Acme,CN={tenantId} devices',
      C8Y_MOCK_CA_VALIDITY: '3650d',
      C8Y_MOCK_CA_AUTO_REGISTRATION: 'false',
    },
    () => configOf([]),
  );
  t.same(config.enrollment, {
    issuedCertificateValidityMs: 2 * DAY,
    otpValidityMs: 30_000,
    caSubject: 'O=Acme,CN={tenantId} devices',
    caValidityMs: 3650 * DAY,
    caAutoRegistration: false,
  });
});

t.test('bad values are refused with the option named', async (t) => {
  const cases: [string[], RegExp][] = [
    [
      ['--issued-certificate-validity', 'a year'],
      /--issued-certificate-validity must be a duration such as 90/,
    ],
    [['--issued-certificate-validity', '10s'], /--issued-certificate-validity must be from 60 s/],
    [['--enrollment-otp-validity', '-5m'], /--enrollment-otp-validity must be a duration/],
    [['--ca-subject', 'CN'], /--ca-subject must be domain or classic, or attributes in DER order/],
    [['--ca-subject', 'XX=1,CN=a'], /--ca-subject must be/],
    [
      ['--ca-validity', '300d'],
      /--ca-validity \(25920000 s\) must be longer than --issued-certificate-validity/,
    ],
    [['--ca-auto-registration', 'maybe'], /must be true or false/],
  ];
  for (const [args, message] of cases) {
    t.throws(() => configOf(args), message, args.join(' '));
  }
  t.throws(() => configOf(['--ca-validity', '300d']), ConfigError);
});
