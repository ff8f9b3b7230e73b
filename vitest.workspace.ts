/**
 * The single list of the workspace's test projects. The root `vitest.config.ts` reads it
 * (vitest 4 no longer picks this file up by itself); every project has its own config.
 */
export default [
  'packages/*/vitest.config.ts',
  'examples/*/vitest.config.ts',
  'reliability/vitest.config.ts',
  'scripts/test/vitest.config.ts',
];
