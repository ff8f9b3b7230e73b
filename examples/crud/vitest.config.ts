import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'example-crud',
    include: ['test/**/*.test.ts'],
    // a test starts `node src/admin.js` several times, which takes seconds on a busy machine
    testTimeout: 30_000,
  },
});
