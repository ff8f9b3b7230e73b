import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What a script run printed, and how it exited. */
export interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Environment variables pointing the example at a table on a local server. */
export function serverEnv(endpoint: string, table: string): NodeJS.ProcessEnv {
  return {
    DYNAMODB_ENDPOINT: endpoint,
    SESSIONS_TABLE: table,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  };
}

/**
 * Runs `src/<script>` of this example as its own Node process, as a user would, with `env`
 * on top of this process's environment minus the variables that choose a server.
 */
export function runScript(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<ScriptRun> {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DYNAMODB_ENDPOINT', 'AWS_REGION', 'SESSIONS_TABLE', 'DYNALITE_PATH']) {
    delete base[name];
  }
  const path = fileURLToPath(new URL(`../src/${script}`, import.meta.url));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path, ...args],
      { env: { ...base, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
