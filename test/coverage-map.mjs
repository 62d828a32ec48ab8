/**
 * tap's coverage map (.taprc): which source files each test file's coverage counts for.
 *
 * The gated folders are the chain check and certificates (src/pki), the tokens (src/tokens) and
 * the device login (src/login): a branch there that no test runs is a way in that nobody has
 * tried (DEVELOPERS.md, "Coverage"). Their coverage counts only from the tests of those folders
 * and of the doors to them (routes, the dashboard's API, TLS, authentication, the integration
 * tests): what a CLI or process test happens to run there proves nothing about the rules, and
 * not measuring those test files saves their share of the run's time. `npm run test:coverage`
 * (COVERAGE_ALL=1) reports all of src/ from every test, ungated.
 */
export const GATED = ['src/pki/**/*.ts', 'src/tokens/**/*.ts', 'src/login/**/*.ts'];

/** Test files whose coverage is not counted: about other parts, or about processes. */
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
];

export default (testFile) => {
  if (process.env.COVERAGE_ALL === '1') return ['src/**/*.ts'];
  return NOT_COUNTED.some((pattern) => pattern.test(testFile)) ? null : GATED;
};
