import { defineConfig } from 'vitest/config';
import projects from './vitest.workspace.ts';

export default defineConfig({
  test: {
    projects,
    globalSetup: ['./test-support/src/global-setup.ts'],
    reporters: ['default', './test-support/src/summary-reporter.ts'],
  },
});
