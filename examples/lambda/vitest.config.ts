import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'example-lambda',
    include: ['test/**/*.test.ts'],
  },
});
