import type { WorkerStatus } from '../machines/status.js';
import type { GroupHandle } from './group.js';
import { checkFunction, checkOptions, describe, summarize } from './options.js';

/** Options of {@link renderStatus}. */
export interface RenderStatusOptions {
  /** The time countdowns are measured from, in ms since the epoch. @default Date.now() */
  now?: number;
  /** The longest last-error text shown; longer ones end with `…`. @default 60 */
  errorWidth?: number;
}

const columns = ['WORKER', 'STATE', 'ATTEMPTS', 'RESTARTS', 'NEXT ATTEMPT', 'LAST ERROR'] as const;

function errorText(error: unknown, width: number): string {
  const line = summarize(error).split('\n')[0] ?? '';
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

function countdown(at: number | undefined, now: number): string {
  if (at === undefined) return '';
  const seconds = Math.max(0, at - now) / 1000;
  return `in ${seconds.toFixed(1)} s`;
}

/**
 * Renders a group's status as a plain-text table, one line per worker: state, attempts,
 * restarts, the countdown to the next attempt of a worker in backoff, and the last error.
 * Pure: the same status and `now` give the same text.
 *
 * @example
 * ```ts
 * console.log(renderStatus(group));
 * // WORKER  STATE    ATTEMPTS  RESTARTS  NEXT ATTEMPT  LAST ERROR
 * // flaky   backoff  3         2         in 1.5 s      Error: upstream timed out
 * // steady  running  1         0
 * ```
 */
export function renderStatus(
  source: Pick<GroupHandle, 'status'> | readonly WorkerStatus[],
  options: RenderStatusOptions = {},
): string {
  const entries = 'status' in source ? source.status() : source;
  const now = options.now ?? Date.now();
  const errorWidth = options.errorWidth ?? 60;
  const rows = entries.map((entry) => [
    entry.name,
    entry.state,
    String(entry.attempts),
    String(entry.restarts),
    countdown(entry.nextAttemptAt, now),
    'lastError' in entry ? errorText(entry.lastError, errorWidth) : '',
  ]);
  const widths = columns.map((title, index) => Math.max(title.length, ...rows.map((row) => row[index]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, index) => (index === cells.length - 1 ? cell : cell.padEnd(widths[index]!))).join('  ').trimEnd();
  return [line(columns), ...rows.map(line)].join('\n');
}

/** Options of {@link watchStatus}. */
export interface WatchStatusOptions {
  /** Where the table is drawn. @default process.stdout */
  stream?: NodeJS.WriteStream;
  /** How often the table is redrawn, in milliseconds. @default 250 */
  intervalMs?: number;
  /** Lines drawn under the table on each redraw (recent log lines, say). */
  footer?: () => string;
}

/**
 * Draws the group's status table on a terminal and redraws it in place every `intervalMs`
 * until the group settles (then draws it a last time) or `stop()` is called. On a stream
 * that is not a TTY it draws nothing and returns `{ live: false }`: log lines (the default
 * logger, or your `onEvent`) are the right output for files and pipes.
 *
 * The timer does not keep the process alive (and fake timers in a test drive it).
 *
 * @example
 * ```ts
 * const group = startGroup(specs, { logger: process.stdout.isTTY ? false : undefined });
 * watchStatus(group);
 * await group.done;
 * ```
 */
export function watchStatus(
  handle: Pick<GroupHandle, 'status' | 'done'>,
  options?: WatchStatusOptions,
): { live: boolean; stop(): void } {
  const raw = checkOptions(options, ['stream', 'intervalMs', 'footer']);
  const stream = (raw.stream as NodeJS.WriteStream | undefined) ?? process.stdout;
  const intervalMs = raw.intervalMs ?? 250;
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < 10) {
    throw new RangeError(`Expected \`intervalMs\` to be a number of milliseconds ≥ 10, got ${describe(intervalMs)}`);
  }
  const footer = checkFunction<() => string>(raw.footer, 'footer');
  if (stream.isTTY !== true) return { live: false, stop: () => undefined };

  let drawnLines = 0;
  const draw = (): void => {
    const text = renderStatus(handle) + (footer === undefined ? '' : `\n${footer()}`);
    // Up to the first line drawn last time, clear to the end of the screen, draw again.
    const rewind = drawnLines > 0 ? `\x1b[${drawnLines}F\x1b[0J` : '';
    stream.write(`${rewind}${text}\n`);
    drawnLines = text.split('\n').length;
  };
  let stopped = false;
  const timer = setInterval(draw, intervalMs);
  timer.unref();
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    draw();
  };
  draw();
  handle.done.then(stop, stop);
  return { live: true, stop };
}
