import { defineProject } from 'vitest/config';

/** Tests of the release setup: changesets config and the published packages' manifests. */
export default defineProject({
  test: {
    name: 'release',
    include: ['**/*.test.ts'],
  },
});
