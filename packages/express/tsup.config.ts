import { defineConfig, type Options } from 'tsup';

const shared: Options = {
  sourcemap: true,
  target: 'node20',
  external: ['@dynamodb-session/core', 'express-session', '@aws-sdk/client-dynamodb'],
};

/** ESM with bundled types; CommonJS whose types (`src/commonjs.d.cts`) the build script copies. */
export default defineConfig([
  { ...shared, entry: { index: 'src/index.ts' }, format: ['esm'], dts: true, clean: true },
  { ...shared, entry: { index: 'src/index.cts' }, format: ['cjs'] },
]);
