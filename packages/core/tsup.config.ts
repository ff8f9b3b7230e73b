import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', testing: 'src/testing/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // one copy of the shared code for both entries, in CommonJS too: an error thrown by the
  // testing entry is then an instance of the SessionStoreError the main entry exports
  splitting: true,
});
