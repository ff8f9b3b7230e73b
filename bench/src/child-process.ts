import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const benchDirectory = fileURLToPath(new URL('..', import.meta.url));

/** A Node child process running one of this package's TypeScript files through tsx. */
export interface TypeScriptChild {
  child: ChildProcess;
  /** The first line the child printed on stdout. */
  firstLine: Promise<string>;
  /** Everything the child printed on stdout, once it has exited with code 0 (else the end of its stderr). */
  output: Promise<string>;
}

/**
 * Starts `node [nodeFlags] --expose-gc --import tsx src/<file> ...args` in the bench directory.
 * Its stdin stays open: the children exit when it closes, so none outlives the benchmark.
 */
export function spawnTypeScript(
  file: string,
  args: string[] = [],
  nodeFlags: string[] = [],
): TypeScriptChild {
  const child = spawn(
    process.execPath,
    [...nodeFlags, '--expose-gc', '--import', 'tsx', `src/${file}`, ...args],
    { cwd: benchDirectory, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let resolveFirstLine: (line: string) => void = () => {};
  const firstLine = new Promise<string>((resolve) => {
    resolveFirstLine = resolve;
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    const newline = stdout.indexOf('\n');
    if (newline >= 0) resolveFirstLine(stdout.slice(0, newline));
  });
  const output = new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(stdout);
      else {
        const lastLines = stderr.trim().split('\n').slice(-3).join('\n');
        reject(new Error(`src/${file} exited with code ${code}:\n${lastLines}`));
      }
    });
  });
  return {
    child,
    output,
    firstLine: Promise.race([
      firstLine,
      output.then(() => Promise.reject(new Error(`src/${file} printed nothing`))),
    ]),
  };
}

/** Exits this process when its stdin closes (the parent benchmark ended or died). */
export function exitWhenParentGoes(): void {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
