/**
 * tap's coverage map (.taprc): which source files a test file's coverage counts for. Every test
 * counts for the folders whose coverage is gated, and only those: a branch of the chain check,
 * the tokens or the device login that no test runs is a way in that nobody has tried
 * (DEVELOPERS.md, "Coverage"). The rest of src/ is measured by `npm run test:coverage`.
 */
export const GATED = ['src/pki/**/*.ts', 'src/tokens/**/*.ts', 'src/login/**/*.ts'];

export default () => GATED;
