import { defineConfig } from 'vitest/config';
import projects from './vitest.workspace.ts';

export default defineConfig({
  test: {
    projects,
    // most test files wait on local servers, expiry and timeouts more than they compute: on a
    // 2-core machine three workers overlap those waits (the default, one a spare core, runs
    // the files one after another)
    maxWorkers: 3,
    globalSetup: ['./test-support/src/global-setup.ts'],
    reporters: ['default', './test-support/src/summary-reporter.ts'],
  },
});
