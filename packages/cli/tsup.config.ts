import { defineConfig } from 'tsup';

/** ESM only: `dist/cli.js` (the `run` API, with types) and `dist/bin.js` (the executable). */
export default defineConfig({
  entry: { cli: 'src/cli.ts', bin: 'src/bin.ts' },
  format: ['esm'],
  target: 'node20',
  dts: { entry: { cli: 'src/cli.ts' } },
  sourcemap: true,
  clean: true,
  external: ['@dynamodb-session/core', '@aws-sdk/client-dynamodb'],
});
