import cliTruncate from 'cli-truncate';
import { createLogUpdate } from 'log-update';
import stringWidth from 'string-width';
import type { WorkerStatus } from '../machines/status.js';
import type { GroupHandle } from './group.js';
import { checkFunction, checkOptions, describe, summarize } from './options.js';

/** Options of {@link renderStatus}. */
export interface RenderStatusOptions {
  /** The time countdowns are measured from, in ms since the epoch. @default Date.now() */
  now?: number;
  /** The longest last-error text shown, in terminal columns; longer ones end with `…`. @default 60 */
  errorWidth?: number;
  /** Every line is cut to this many terminal columns (ending with `…`). @default Infinity */
  width?: number;
  /**
   * At most this many lines. A group with more workers than fit is shown as a summary by
   * state, then the workers that need attention first (failed, hung, backoff, stopping),
   * then a line counting the ones left out. @default Infinity
   */
  height?: number;
}

const columns = ['WORKER', 'STATE', 'ATTEMPTS', 'RESTARTS', 'NEXT ATTEMPT', 'LAST ERROR'] as const;

/**
 * The states a reader must see first when not every worker fits, most urgent first. Typed
 * as strings so that a state this module does not know yet is ranked with the rest.
 */
const attentionOrder: readonly string[] = ['failed', 'hung', 'backoff', 'stopping'];
/** The order of the summary's counts: attention first, then the calm states. */
const summaryOrder: readonly string[] = [...attentionOrder, 'running', 'done', 'stopped'];

// C0 and C1 control characters (ESC, CR, LF, BEL, …): a worker's name or error text that
// holds one must not move the cursor or clear the screen.
// eslint-disable-next-line no-control-regex
const controls = /[\u0000-\u001f\u007f-\u009f]/g;

/** A user's string as one line of inert text: control characters shown as `\xNN`. */
function inert(text: string): string {
  return text.replace(controls, (character) => `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function cut(text: string, width: number): string {
  if (!Number.isFinite(width) || stringWidth(text) <= width) return text;
  return width <= 0 ? '' : cliTruncate(text, width);
}

function errorText(error: unknown, width: number): string {
  let text: string;
  try {
    text = summarize(error);
  } catch {
    // summarize is meant never to throw; a value hostile enough to break it still must not
    // break the table.
    text = '(an unprintable value)';
  }
  return cut(inert(text.split('\n')[0] ?? ''), width);
}

function countdown(at: number | undefined, now: number): string {
  if (at === undefined) return '';
  const seconds = Math.max(0, at - now) / 1000;
  return `in ${seconds.toFixed(1)} s`;
}

function checkCount(value: unknown, path: string, fallback: number, minimum: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < minimum || (value !== Infinity && !Number.isInteger(value))) {
    throw new RangeError(`Expected \`${path}\` to be an integer ≥ ${minimum} or Infinity, got ${describe(value)}`);
  }
  return value;
}

function statusEntries(source: unknown): readonly WorkerStatus[] {
  if (Array.isArray(source)) return source as readonly WorkerStatus[];
  if (typeof source === 'object' && source !== null && typeof (source as { status?: unknown }).status === 'function') {
    return (source as Pick<GroupHandle, 'status'>).status();
  }
  throw new TypeError(`Expected a group handle (with status()) or an array of WorkerStatus, got ${describe(source)}`);
}

function rank(state: string): number {
  const index = attentionOrder.indexOf(state);
  return index === -1 ? attentionOrder.length : index;
}

function summaryLine(entries: readonly WorkerStatus[]): string {
  const counts = new Map<string, number>();
  for (const entry of entries) counts.set(entry.state, (counts.get(entry.state) ?? 0) + 1);
  const known = summaryOrder.filter((state) => counts.has(state));
  const others = [...counts.keys()].filter((state) => !summaryOrder.includes(state));
  const parts = [...known, ...others].map((state) => `${counts.get(state)} ${inert(state)}`);
  return `${entries.length} workers: ${parts.join(', ')}`;
}

/**
 * Renders a group's status as a plain-text table, one line per worker: state, attempts,
 * restarts, the countdown to the next attempt of a worker in backoff, and the last error.
 * Pure: the same status and options give the same text. Columns are measured in terminal
 * cells (wide characters count twice); control characters in a name or an error are shown
 * as `\xNN`, never sent to the terminal.
 *
 * With `height`, a group that does not fit is summarized: a line of counts by state, the
 * header, the workers that need attention first (failed, hung, backoff, stopping, each in
 * group order), then the others, and a last line counting the workers left out.
 *
 * Throws a `TypeError` for a `source` that is neither a group handle nor an array. Never
 * throws for what a worker threw, however hostile.
 *
 * @example
 * ```ts
 * console.log(renderStatus(group, { width: process.stdout.columns }));
 * // WORKER  STATE    ATTEMPTS  RESTARTS  NEXT ATTEMPT  LAST ERROR
 * // flaky   backoff  3         2         in 1.5 s      Error: upstream timed out
 * // steady  running  1         0
 * ```
 */
export function renderStatus(
  source: Pick<GroupHandle, 'status'> | readonly WorkerStatus[],
  options: RenderStatusOptions = {},
): string {
  const entries = statusEntries(source);
  const raw = checkOptions(options, ['now', 'errorWidth', 'width', 'height']);
  const now = raw.now ?? Date.now();
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new TypeError(`Expected \`now\` to be a finite number of milliseconds, got ${describe(now)}`);
  }
  const errorWidth = checkCount(raw.errorWidth, 'errorWidth', 60, 1);
  const width = checkCount(raw.width, 'width', Infinity, 1);
  const height = checkCount(raw.height, 'height', Infinity, 1);

  let shown = entries;
  let before: string[] = [];
  let after: string[] = [];
  if (entries.length + 1 > height) {
    // Summary, header and the "more" line take three lines; the rest go to the workers.
    const room = Math.max(0, height - 3);
    shown = entries
      .map((entry, index) => ({ entry, index, rank: rank(entry.state) }))
      .sort((a, b) => a.rank - b.rank || a.index - b.index)
      .slice(0, room)
      .map(({ entry }) => entry);
    before = [summaryLine(entries)];
    after = [`… ${entries.length - shown.length} more`];
  }
  const rows = shown.map((entry) => [
    inert(String(entry.name)),
    inert(String(entry.state)),
    String(entry.attempts),
    String(entry.restarts),
    countdown(entry.nextAttemptAt, now),
    'lastError' in entry ? errorText(entry.lastError, errorWidth) : '',
  ]);
  const widths = columns.map((title, index) => Math.max(title.length, ...rows.map((row) => stringWidth(row[index]!))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, index) => (index === cells.length - 1 ? cell : cell + ' '.repeat(widths[index]! - stringWidth(cell))))
      .join('  ')
      .trimEnd();
  const lines = [...before, line(columns), ...rows.map(line), ...after].slice(0, height);
  return lines.map((text) => cut(text, width)).join('\n');
}

/** Options of {@link watchStatus}. */
export interface WatchStatusOptions {
  /** Where the table is drawn. @default process.stdout */
  stream?: NodeJS.WriteStream;
  /** How often the table is rendered (and drawn if it changed), in milliseconds. @default 250 */
  intervalMs?: number;
  /** Lines drawn under the table (recent log lines, say); cut to the terminal like the table. */
  footer?: () => string;
}

/** Lines kept free under the view: the cursor's line and one of air, so the header never scrolls off. */
const reservedRows = 2;

/**
 * Draws the group's status table on a terminal and keeps it current until the group
 * settles (then draws it a last time and leaves it on screen) or `stop()` is called. On a
 * stream that is not a TTY it draws nothing and returns `{ live: false }`: log lines (the
 * default logger, or your `onEvent`) are the right output for files and pipes.
 *
 * On a TTY: every line is cut to the terminal's width, and the view is kept within its
 * height (a large group is summarized, see {@link renderStatus}); a resize redraws it. The
 * table is rendered every `intervalMs` and written only when it changed. While it is
 * live, whatever else is written to the terminal (`console.log`, a worker logging to
 * stderr) is printed above the table instead of through it: `watchStatus` wraps `write` of
 * its stream and of `process.stdout`/`process.stderr` when they are TTYs, and puts them
 * back when it stops.
 *
 * The timer does not keep the process alive (and fake timers in a test drive it).
 *
 * @example
 * ```ts
 * const group = startGroup(specs, process.stdout.isTTY ? { logger: false } : {});
 * watchStatus(group);
 * await group.done;
 * ```
 */
export function watchStatus(
  handle: Pick<GroupHandle, 'status' | 'done'>,
  options?: WatchStatusOptions,
): { live: boolean; stop(): void } {
  if (typeof handle !== 'object' || handle === null || typeof handle.status !== 'function' || !(handle.done instanceof Promise)) {
    throw new TypeError(`Expected a group handle (with status() and done), got ${describe(handle)}`);
  }
  const raw = checkOptions(options, ['stream', 'intervalMs', 'footer']);
  const stream = (raw.stream as NodeJS.WriteStream | undefined) ?? process.stdout;
  if (typeof stream !== 'object' || stream === null || typeof stream.write !== 'function') {
    throw new TypeError(`Expected \`stream\` to be a writable stream, got ${describe(stream)}`);
  }
  const intervalMs = raw.intervalMs ?? 250;
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < 10) {
    throw new RangeError(`Expected \`intervalMs\` to be a number of milliseconds ≥ 10, got ${describe(intervalMs)}`);
  }
  const footer = checkFunction<() => string>(raw.footer, 'footer');
  if (stream.isTTY !== true) return { live: false, stop: () => undefined };

  // showCursor: hiding it would make log-update install process signal handlers (to show
  // it again on exit), which must stay the supervisor's alone.
  const update = createLogUpdate(stream, { showCursor: true });
  let drawn = ''; // the frame on screen, '' when none is
  let drawnColumns = 0;
  let ownWrite = false; // our own writes pass the wrapped `write` untouched
  let openLine = false; // foreign output ended without a newline

  const frame = (): string => {
    const width = stream.columns > 0 ? stream.columns : 80;
    const rows = stream.rows > 0 ? stream.rows : 24;
    const room = Math.max(1, rows - reservedRows);
    let below: string[] = [];
    if (footer !== undefined) {
      let text: string;
      try {
        text = String(footer());
      } catch (error) {
        text = `footer() threw ${summarize(error)}`;
      }
      // The footer gets at most half of the room, its latest lines; the table the rest.
      below = text.split('\n').map((line) => cut(inert(line), width)).slice(-Math.floor(room / 2));
    }
    const table = renderStatus(handle, { width, height: Math.max(1, room - below.length) });
    return [table, ...below].join('\n');
  };
  const write = (text: string): void => {
    ownWrite = true;
    try {
      if (openLine) {
        stream.write('\n');
        openLine = false;
      }
      update(text);
    } finally {
      ownWrite = false;
    }
  };
  const draw = (): void => {
    const text = frame();
    if (text === drawn) return;
    write(text);
    drawn = text;
    drawnColumns = stream.columns;
  };
  const erase = (): void => {
    if (drawn === '') return;
    ownWrite = true;
    try {
      update.clear();
    } finally {
      ownWrite = false;
    }
    drawn = '';
  };

  // A resize: a terminal that reflows has re-wrapped the lines on screen to the new width,
  // so the frame may take more rows than log-update counted. Erase them as re-wrapped, then
  // draw the frame anew.
  const onResize = (): void => {
    if (drawn !== '' && stream.columns > 0 && stream.columns !== drawnColumns) {
      const rowsNow = drawn.split('\n').reduce((sum, line) => sum + Math.max(1, Math.ceil(stringWidth(line) / stream.columns)), 0);
      ownWrite = true;
      try {
        stream.write(`\x1b[${rowsNow}A\x1b[G\x1b[J`);
        update.done(); // forget the old frame: the next one is written from here
      } finally {
        ownWrite = false;
      }
      drawn = '';
    }
    draw();
  };

  // Foreign output: take the table away, let the text through, draw the table under it on
  // the next turn (many lines in a row cost one redraw).
  const wrapped: Array<{
    target: NodeJS.WriteStream;
    original: NodeJS.WriteStream['write'];
    own: boolean;
    replacement: NodeJS.WriteStream['write'];
  }> = [];
  let redraw: NodeJS.Immediate | undefined;
  const wrap = (target: NodeJS.WriteStream): void => {
    if (wrapped.some((entry) => entry.target === target)) return;
    // Unbound on purpose: called with the stream as `this`, and put back as it was.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const original = target.write;
    const own = Object.hasOwn(target, 'write');
    const replacement = function (this: NodeJS.WriteStream, ...args: unknown[]): boolean {
      if (!ownWrite && !stopped) {
        erase();
        const [chunk] = args;
        const text = typeof chunk === 'string' ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString() : '';
        if (text !== '') openLine = !text.endsWith('\n');
        redraw ??= setImmediate(() => {
          redraw = undefined;
          if (!stopped) draw();
        });
      }
      return (original as (...a: unknown[]) => boolean).apply(this, args);
    } as NodeJS.WriteStream['write'];
    target.write = replacement;
    wrapped.push({ target, original, own, replacement });
  };
  wrap(stream);
  for (const target of [process.stdout, process.stderr]) if (target.isTTY === true) wrap(target);

  let stopped = false;
  const timer = setInterval(draw, intervalMs);
  timer.unref();
  // A stream without events (a bare { isTTY, write }) has no resize to follow.
  const resizable = typeof stream.on === 'function' && typeof stream.off === 'function';
  if (resizable) stream.on('resize', onResize);
  const stop = (): void => {
    if (stopped) return;
    draw();
    stopped = true;
    clearInterval(timer);
    if (redraw !== undefined) clearImmediate(redraw);
    if (resizable) stream.off('resize', onResize);
    // Put back only what is still ours: a wrapper installed after ours stays in place.
    for (const { target, original, own, replacement } of wrapped) {
      if (target.write !== replacement) continue;
      if (own) target.write = original;
      else Reflect.deleteProperty(target, 'write'); // the prototype's write shows through again
    }
    update.done();
  };
  draw();
  handle.done.then(stop, stop);
  return { live: true, stop };
}
