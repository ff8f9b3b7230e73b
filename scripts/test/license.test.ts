import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listWorkspacePackages, root } from './workspace-packages';

/** Every published package ships the repository's license text, under the license it declares. */
describe('the license of the public packages', () => {
  it('is the root LICENSE (MIT), copied into each package and declared in its manifest', () => {
    const license = readFileSync(join(root, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License/);
    const published = listWorkspacePackages().filter((pkg) => !pkg.manifest.private);
    expect(published.length).toBeGreaterThan(0);
    for (const pkg of published) {
      const file = join(pkg.dir, 'LICENSE');
      expect(existsSync(file), `${pkg.name} has a LICENSE`).toBe(true);
      expect(readFileSync(file, 'utf8'), pkg.name).toBe(license);
      expect((pkg.manifest as { license?: string }).license, pkg.name).toBe('MIT');
    }
  });
});
