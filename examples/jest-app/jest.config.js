/**
 * The app's own test suite: jest, CommonJS, Node environment. Only `test/` holds jest tests;
 * `test-runner/` is the repository's vitest check that this suite passes.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.js'],
};
