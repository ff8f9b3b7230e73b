import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'example-crud',
    include: ['test/**/*.test.ts'],
  },
});
