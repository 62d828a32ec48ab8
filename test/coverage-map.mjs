/**
 * tap's coverage map (.taprc): which source files each test file's coverage counts for. Every
 * test counts for the folders whose coverage is gated, and only for those: a branch of the chain
 * check, the tokens or the device login that no test runs is a way in that nobody has tried
 * (DEVELOPERS.md, "Coverage"). `npm run test:coverage` (COVERAGE_ALL=1) reports all of src/,
 * ungated.
 */
export const GATED = ['src/pki/**/*.ts', 'src/tokens/**/*.ts', 'src/login/**/*.ts'];

export default () => (process.env.COVERAGE_ALL === '1' ? [] : GATED);
