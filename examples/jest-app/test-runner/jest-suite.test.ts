import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const testDir = join(appDir, 'test');
const jest = createRequire(import.meta.url).resolve('jest/bin/jest');

/** The parts of jest's `--json` report this check reads. */
interface JestReport {
  success: boolean;
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTotalTestSuites: number;
  testResults: {
    name: string;
    status: string;
    message: string;
    assertionResults: { fullName: string; status: string }[];
  }[];
}

/** The jest test files of the app, and how many tests they declare (`it(` / `test(` calls). */
function declaredTests(): { files: string[]; tests: number } {
  const files = readdirSync(testDir).filter((file) => file.endsWith('.test.js'));
  const tests = files
    .map((file) => readFileSync(join(testDir, file), 'utf8').match(/^\s*(?:it|test)\(/gm) ?? [])
    .reduce((sum, calls) => sum + calls.length, 0);
  return { files: files.map((file) => join(testDir, file)).sort(), tests };
}

it('passes its own jest suite: every file runs, every declared test passes', async () => {
  const reportFile = join(tmpdir(), `jest-app-${randomUUID()}.json`);
  let failure: unknown;
  try {
    await promisify(execFile)(
      process.execPath,
      [jest, '--ci', '--json', `--outputFile=${reportFile}`],
      {
        cwd: appDir,
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      },
    );
  } catch (error) {
    failure = error;
  }
  let report: JestReport;
  try {
    report = JSON.parse(readFileSync(reportFile, 'utf8')) as JestReport;
  } catch {
    throw new Error(`jest wrote no report: ${(failure as { stderr?: string })?.stderr ?? failure}`);
  } finally {
    rmSync(reportFile, { force: true });
  }
  const failed = report.testResults.filter((file) => file.status !== 'passed');
  expect(failed.map((file) => `${file.name}: ${file.message}`)).toEqual([]);

  const declared = declaredTests();
  expect(declared.tests).toBeGreaterThanOrEqual(8);
  expect(report.testResults.map((file) => file.name).sort()).toEqual(declared.files);
  expect(report).toMatchObject({
    success: true,
    numFailedTests: 0,
    numPendingTests: 0,
    numPassedTests: declared.tests,
    numTotalTests: declared.tests,
    numTotalTestSuites: declared.files.length,
  });
  expect(failure).toBeUndefined();
}, 180_000);
