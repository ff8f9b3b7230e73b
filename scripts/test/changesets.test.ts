import assembleReleasePlan from '@changesets/assemble-release-plan';
import { read as readConfig } from '@changesets/config';
import getReleasePlan from '@changesets/get-release-plan';
import { getPackages, type Packages } from '@manypkg/get-packages';
import { beforeAll, describe, expect, it } from 'vitest';
import { listWorkspacePackages, root, type WorkspacePackage } from './workspace-packages';

/**
 * The changesets setup, read offline with changesets' own libraries (the ones `changeset
 * status` and `changeset version` use) and compared with the workspace as pnpm lists it.
 */
describe('changesets', () => {
  let workspace: WorkspacePackage[];
  let publicNames: string[];
  let privateNames: string[];
  let packages: Packages;
  let config: Awaited<ReturnType<typeof readConfig>>;

  beforeAll(async () => {
    workspace = listWorkspacePackages();
    publicNames = workspace.filter((pkg) => !pkg.manifest.private).map((pkg) => pkg.name);
    privateNames = workspace.filter((pkg) => pkg.manifest.private).map((pkg) => pkg.name);
    packages = await getPackages(root);
    config = await readConfig(root, packages);
  });

  it('sees the same workspace packages as pnpm', () => {
    expect(packages.packages.map((pkg) => pkg.packageJson.name).sort()).toEqual(
      workspace.map((pkg) => pkg.name).sort(),
    );
    expect(publicNames.length).toBeGreaterThan(0);
    expect(privateNames.length).toBeGreaterThan(0);
  });

  it('puts exactly the public packages in one fixed group', () => {
    expect(config.fixed).toHaveLength(1);
    expect([...(config.fixed[0] ?? [])].sort()).toEqual([...publicNames].sort());
    expect(config.linked).toEqual([]);
  });

  it('publishes publicly from main and never versions or tags private packages', () => {
    expect(config.access).toBe('public');
    expect(config.baseBranch).toBe('main');
    expect(config.privatePackages).toEqual({ version: false, tag: false });
  });

  it('keeps the fixed group on one version', () => {
    const versions = new Set(
      workspace.filter((pkg) => !pkg.manifest.private).map((pkg) => pkg.manifest.version),
    );
    expect([...versions]).toHaveLength(1);
  });

  it('releases every public package together, and no private one, for a change to one package', () => {
    const [first] = publicNames;
    const plan = assembleReleasePlan(
      [{ id: 'one-package', summary: 'a fix', releases: [{ name: first ?? '', type: 'patch' }] }],
      packages,
      config,
      undefined,
    );
    const released = plan.releases.filter((release) => release.type !== 'none');
    expect(released.map((release) => release.name).sort()).toEqual([...publicNames].sort());
    expect(new Set(released.map((release) => release.newVersion)).size).toBe(1);
  });

  it('has pending changesets that name only public packages and bump them together', async () => {
    const plan = await getReleasePlan(root, undefined, config);
    for (const changeset of plan.changesets) {
      for (const release of changeset.releases) {
        expect(publicNames, `${changeset.id} names ${release.name}`).toContain(release.name);
      }
    }
    const released = plan.releases.filter((release) => release.type !== 'none');
    if (plan.changesets.length === 0) {
      expect(released).toEqual([]);
      return;
    }
    expect(released.map((release) => release.name).sort()).toEqual([...publicNames].sort());
    expect(new Set(released.map((release) => release.newVersion)).size).toBe(1);
  });
});
