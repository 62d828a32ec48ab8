/**
 * tap's coverage map (.taprc): which source files each test file's coverage counts for.
 *
 * The gated folders are the chain check and certificates (src/pki), the tokens (src/tokens) and
 * the device login (src/login): a branch there that no test runs is a way in that nobody has
 * tried (DEVELOPERS.md, "Coverage"). Their coverage counts only from the tests of those folders
 * and of the doors to them (the token, trusted-certificate, CA, EST and tenant routes, the MQTT
 * door's connections, the dashboard's API, TLS, authentication, the integration tests): what a
 * CLI, process, device-data or mock-control test happens to run there proves nothing about the
 * rules, and a test file not measured runs without V8's coverage (a fifth of npm test's time went
 * to measuring: 131 s with, 106 s without, 2026-11-30; 114 s with this list). `npm run
 * test:coverage` (COVERAGE_ALL=1) reports all of src/ from every test, ungated.
 */
export const GATED = ['src/pki/**/*.ts', 'src/tokens/**/*.ts', 'src/login/**/*.ts'];

/**
 * Test files whose coverage is not counted: about other parts (the device data, the mock's
 * control, the group commit, the serve command), or about processes.
 */
const NOT_COUNTED = [
  /^test\/cli\//,
  /^test\/store\//,
  /^test\/seed\//,
  /^test\/health\//,
  /^test\/architecture\.test\.ts$/,
  /^test\/main\.test\.ts$/,
  /^test\/shutdown\.test\.ts$/,
  /^test\/log-secrets\.test\.ts$/,
  /^test\/state\/crash\.test\.ts$/,
  /^test\/http\/limits\.test\.ts$/,
  /^test\/control\//,
  /^test\/device-data\//,
  /^test\/openapi\/device-data\.test\.ts$/,
  /^test\/state\/device-data-state\.test\.ts$/,
  /^test\/group-commit\.test\.ts$/,
  /^test\/server\//,
  /^test\/routes\/(alarms|events|inventory|measurements|operations|identity|bulk-device-requests)\.test\.ts$/,
  /^test\/ui\/device-data-api\.test\.ts$/,
  /^test\/mqtt\/(smartrest|templates)\.test\.ts$/,
];

export default (testFile) => {
  if (process.env.COVERAGE_ALL === '1') return ['src/**/*.ts'];
  return NOT_COUNTED.some((pattern) => pattern.test(testFile)) ? null : GATED;
};
