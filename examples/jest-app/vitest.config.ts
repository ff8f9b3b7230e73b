// CommonJS like the rest of this package (no `export default`), so Vite loads it as it is.
import vitest = require('vitest/config');

/**
 * The repository's test run checks this example through `test-runner/`, which runs the app's
 * jest suite in a child process; vitest never loads the jest tests in `test/` itself.
 */
export = vitest.defineProject({
  test: {
    name: 'example-jest-app',
    include: ['test-runner/**/*.test.ts'],
  },
});
