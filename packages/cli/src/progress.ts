import type { ReapProgress } from '@dynamodb-session/core';
import type { CliStream } from './output';

/** Shows the progress of a purge on stderr. */
export interface ProgressReporter {
  /** Called with the counts so far, as often as the core reports them. */
  update(progress: ReapProgress): void;
  /** Removes a bar from the terminal, so that the next line starts clean. */
  clear(): void;
}

/** How progress is shown. */
export interface ProgressOptions {
  /** Draw nothing. */
  disabled: boolean;
  /** Seconds between two progress lines when stderr is not a terminal; 0 for none. */
  intervalSeconds: number;
}

const REDRAW_MS = 100;
const BAR_WIDTH = 24;

/**
 * A bar redrawn in place (at most ten times a second) when `stream` is a terminal, otherwise a
 * plain line every `intervalSeconds` (for logs of cron jobs and CI).
 */
export function createProgressReporter(
  stream: CliStream,
  options: ProgressOptions,
): ProgressReporter {
  if (options.disabled) return { update() {}, clear() {} };
  if (stream.isTTY) return terminalBar(stream);
  return periodicLines(stream, options.intervalSeconds * 1000);
}

/** The counts as one line of text. */
export function describeProgress(progress: ReapProgress): string {
  return (
    `found ${progress.found} expired, deleted ${progress.deleted}, kept ${progress.kept}; ` +
    `${progress.scanRequests} scan and ${progress.deleteRequests} delete requests`
  );
}

function terminalBar(stream: CliStream): ProgressReporter {
  let drawnAt = 0;
  let drawn = false;
  return {
    update(progress) {
      const now = Date.now();
      if (now - drawnAt < REDRAW_MS) return;
      drawnAt = now;
      drawn = true;
      const done = progress.deleted + progress.kept;
      const ratio = progress.found === 0 ? 0 : Math.min(1, done / progress.found);
      const filled = Math.round(ratio * BAR_WIDTH);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
      const line = `purge [${bar}] ${done}/${progress.found} · ${describeProgress(progress)}`;
      const width = stream.columns ?? 120;
      stream.write(`\r\x1b[K${line.slice(0, Math.max(20, width - 1))}`);
    },
    clear() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}

function periodicLines(stream: CliStream, intervalMs: number): ProgressReporter {
  let printedAt = Date.now();
  return {
    update(progress) {
      if (intervalMs <= 0) return;
      const now = Date.now();
      if (now - printedAt < intervalMs) return;
      printedAt = now;
      stream.write(`purge: ${describeProgress(progress)}\n`);
    },
    clear() {},
  };
}
