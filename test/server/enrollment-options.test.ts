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

t.test('the durations in ISO 8601 too, as the clock and the fault rules take them', async (t) => {
  const config = configOf([
    '--issued-certificate-validity',
    'PT10M',
    '--enrollment-otp-validity',
    'PT1H30M',
    '--ca-validity',
    'P400D',
  ]);
  t.match(config.enrollment, {
    issuedCertificateValidityMs: 600_000,
    otpValidityMs: 5_400_000,
    caValidityMs: 400 * DAY,
  });
  const fromEnv = withEnv(
    { C8Y_MOCK_ISSUED_CERTIFICATE_VALIDITY: 'P2W', C8Y_MOCK_ENROLLMENT_OTP_VALIDITY: 'PT90.5S' },
    () => configOf([]),
  );
  t.match(fromEnv.enrollment, { issuedCertificateValidityMs: 14 * DAY, otpValidityMs: 90_500 });
  const cases: [string[], RegExp][] = [
    [
      ['--issued-certificate-validity', 'P1Y'],
      /^--issued-certificate-validity must be an ISO 8601 duration: years and months have no fixed length; give days \(P30D\) or weeks; got "P1Y"$/,
    ],
    [['--ca-validity', 'PT'], /^--ca-validity must be an ISO 8601 duration such as PT5M.*; got "PT"$/],
    [
      ['--enrollment-otp-validity', '-PT5M'],
      /^--enrollment-otp-validity must be from 1 s to 3650 days; got -300 s$/,
    ],
    [['--ca-validity', 'P99999999999D'], /^--ca-validity is too large: at most P3652425D/],
  ];
  for (const [args, message] of cases) {
    t.throws(() => configOf(args), message, args.join(' '));
  }
  t.throws(() => configOf(['--ca-validity', 'P1Y']), ConfigError);
  const help = serveCommand({ stderr: () => {} })
    .helpInformation()
    .replace(/\s+/g, ' ');
  for (const option of ['issued-certificate-validity', 'enrollment-otp-validity', 'ca-validity']) {
    t.match(
      help,
      new RegExp(`--${option} <duration> (?:(?! --[a-z]).)*or ISO 8601 \\(P`),
      `--help: --${option}`,
    );
  }
});

t.test('bad values are refused with the option named', async (t) => {
  const cases: [string[], RegExp][] = [
    [
      ['--issued-certificate-validity', 'a year'],
      /--issued-certificate-validity must be a duration such as 90 \(seconds\), 10m, 12h or 365d, or in ISO 8601 such as PT10M or P365D; got "a year"/,
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
