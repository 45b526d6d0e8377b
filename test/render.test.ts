// The status renderer and the live view. The view is drawn on a fake TTY (columns, rows,
// 'resize') whose output is replayed on a small screen model that honours the cursor
// sequences log-update writes; the same view in a real terminal is test/slow/terminal.test.ts
// (tmux).
import { Writable } from 'node:stream';
import stringWidth from 'string-width';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { renderStatus, startGroup, watchStatus, type GroupHandle, type Work, type WorkerStatus } from '../src/index.js';
import { aborted, eventRecorder } from './helpers.js';

const steady: Work = ({ signal }) => aborted(signal);

describe('renderStatus', () => {
  test('one aligned line per worker: state, attempts, restarts, countdown, last error', () => {
    const now = 50_000;
    const entries: WorkerStatus[] = [
      { name: 'flaky', state: 'backoff', attempts: 3, restarts: 2, ready: false, lastError: new Error('upstream timed out\n  at stack'), nextAttemptAt: now + 1500 },
      { name: 'steady-consumer', state: 'running', attempts: 1, restarts: 0, ready: true },
      { name: 'odd', state: 'failed', attempts: 1, restarts: 0, ready: false, lastError: 'a string' },
    ];
    expect(renderStatus(entries, { now })).toBe(
      [
        'WORKER           STATE    ATTEMPTS  RESTARTS  NEXT ATTEMPT  LAST ERROR',
        'flaky            backoff  3         2         in 1.5 s      Error: upstream timed out',
        'steady-consumer  running  1         0',
        "odd              failed   1         0                       'a string'",
      ].join('\n'),
    );
  });

  test('cuts long errors at errorWidth, and never counts down below zero', () => {
    const entries: WorkerStatus[] = [
      { name: 'w', state: 'backoff', attempts: 1, restarts: 0, ready: false, lastError: new Error('x'.repeat(100)), nextAttemptAt: 10 },
    ];
    const [, line] = renderStatus(entries, { now: 20, errorWidth: 12 }).split('\n');
    expect(line).toBe('w       backoff  1         0         in 0.0 s      Error: xxxx…');
  });

  test('renderStatus(undefined) and other non-sources: a TypeError that says what it expected', () => {
    expect(() => renderStatus(undefined as never)).toThrow(
      new TypeError('Expected a group handle (with status()) or an array of WorkerStatus, got undefined'),
    );
    expect(() => renderStatus({} as never)).toThrow(TypeError);
    expect(() => renderStatus([], { width: 0 })).toThrow(new RangeError('Expected `width` to be an integer ≥ 1 or Infinity, got 0'));
    expect(() => renderStatus([], { colour: true } as never)).toThrow('Unknown option `colour`');
  });

  test('never throws for a hostile lastError, and sends no control character of a name or error to the terminal', () => {
    const hostile = new Proxy({}, {
      get() { throw new Error('get'); },
      getPrototypeOf() { throw new Error('getPrototypeOf'); },
      has() { throw new Error('has'); },
      ownKeys() { throw new Error('ownKeys'); },
      getOwnPropertyDescriptor() { throw new Error('getOwnPropertyDescriptor'); },
    });
    const entries: WorkerStatus[] = [
      { name: 'evil\x1b[2J\nname', state: 'failed', attempts: 1, restarts: 0, ready: false, lastError: hostile },
      { name: 'bell', state: 'failed', attempts: 1, restarts: 0, ready: false, lastError: new Error('ring\x07\x1b[31m red') },
    ];
    const text = renderStatus(entries, { now: 0 });
    // eslint-disable-next-line no-control-regex -- looking for exactly these
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(text.split('\n')).toHaveLength(3);
    expect(text).toContain('evil\\x1b[2J\\x0aname');
    expect(text).toContain('Error: ring\\x07\\x1b[31m red');
  });

  test('measures wide characters in terminal cells and cuts lines to `width`', () => {
    const entries: WorkerStatus[] = [
      { name: '工作者', state: 'running', attempts: 1, restarts: 0, ready: true },
      { name: 'w', state: 'backoff', attempts: 2, restarts: 1, ready: false, lastError: new Error('x'.repeat(80)), nextAttemptAt: 1000 },
    ];
    const lines = renderStatus(entries, { now: 0, width: 50 }).split('\n');
    expect(lines[1]).toBe('工作者  running  1         0');
    expect(lines[2]?.startsWith('w       backoff  2         1         in 1.0 s')).toBe(true);
    expect(lines.map((line) => stringWidth(line))).toEqual([50, 28, 50]);
    expect(lines[2]?.endsWith('…')).toBe(true);
  });

  test('a group taller than `height`: counts by state, then the workers that need attention first', () => {
    const entries: WorkerStatus[] = Array.from({ length: 2000 }, (_, index) => ({
      name: `w${index}`,
      state: 'running',
      attempts: 1,
      restarts: 0,
      ready: true,
    }));
    const at = (index: number, state: string) => Object.assign(entries[index]!, { state: state as WorkerStatus['state'] });
    at(1500, 'backoff');
    at(1999, 'failed');
    at(10, 'stopping');
    at(700, 'hung'); // a state added by the hang watchdog; ranked after failed
    at(3, 'done');
    const lines = renderStatus(entries, { now: 0, height: 8 }).split('\n');
    expect(lines).toEqual([
      '2000 workers: 1 failed, 1 hung, 1 backoff, 1 stopping, 1995 running, 1 done',
      'WORKER  STATE     ATTEMPTS  RESTARTS  NEXT ATTEMPT  LAST ERROR',
      'w1999   failed    1         0',
      'w700    hung      1         0',
      'w1500   backoff   1         0',
      'w10     stopping  1         0',
      'w0      running   1         0',
      '… 1995 more',
    ]);
    // A group that fits is the plain table, in group order.
    expect(renderStatus(entries.slice(0, 4), { now: 0, height: 5 }).split('\n')).toHaveLength(5);
  });
});

/**
 * A screen that replays what a terminal would do with the output: text, newlines and the
 * cursor sequences log-update and watchStatus use (up, down, to column, erase line, erase
 * to the end of the line or of the screen). Lines are not wrapped: the tests check widths.
 */
class Screen {
  lines: string[] = [''];
  row = 0;
  col = 0;
  feed(text: string): void {
    // eslint-disable-next-line no-control-regex -- parsing terminal escapes
    const pattern = /\x1b\[(\??)(\d*)([A-Za-z])|([^\x1b])/gsu;
    for (const match of text.matchAll(pattern)) {
      const [, question, digits, command, character] = match;
      if (character !== undefined) {
        if (character === '\n') {
          this.row += 1;
          this.col = 0;
          while (this.lines.length <= this.row) this.lines.push('');
        } else if (character === '\r') {
          this.col = 0;
        } else {
          const line = [...(this.lines[this.row] ?? '').padEnd(this.col)];
          line[this.col] = character;
          this.lines[this.row] = line.join('');
          this.col += 1;
        }
        continue;
      }
      if (question === '?') continue; // synchronized output on/off
      const n = digits === '' ? undefined : Number(digits);
      const line = this.lines[this.row] ?? '';
      switch (command) {
        case 'A': this.row = Math.max(0, this.row - (n ?? 1)); break;
        case 'B': this.row += n ?? 1; while (this.lines.length <= this.row) this.lines.push(''); break;
        case 'G': this.col = (n ?? 1) - 1; break;
        case 'K': this.lines[this.row] = n === 2 ? '' : [...line].slice(0, this.col).join(''); break;
        case 'J':
          this.lines[this.row] = [...line].slice(0, this.col).join('');
          this.lines.length = this.row + 1;
          break;
        default: throw new Error(`the screen model does not know ESC[${digits}${command}`);
      }
    }
  }
  /** The lines with text, trailing spaces trimmed. */
  text(): string[] {
    const lines = this.lines.map((line) => line.trimEnd());
    while (lines.at(-1) === '') lines.pop();
    return lines;
  }
}

class FakeTerminal extends Writable {
  readonly isTTY = true;
  readonly chunks: string[] = [];
  readonly screen = new Screen();
  constructor(public columns: number, public rows: number) {
    super({
      write: (chunk: Buffer, _encoding, callback) => {
        this.chunks.push(chunk.toString());
        this.screen.feed(chunk.toString());
        callback();
      },
    });
  }
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
  get tty(): NodeJS.WriteStream {
    return this as unknown as NodeJS.WriteStream;
  }
}

/** A group handle whose status the test writes; it settles when the test says so. */
function fakeGroup(entries: WorkerStatus[]) {
  let settle = (): void => undefined;
  const done = new Promise<never>((resolve) => {
    settle = () => resolve(undefined as never);
  });
  const handle: Pick<GroupHandle, 'status' | 'done'> = { status: () => entries.map((entry) => ({ ...entry })), done };
  return { handle, settle };
}

const worker = (name: string, state: string, extra: Partial<WorkerStatus> = {}): WorkerStatus =>
  ({ name, state: state as WorkerStatus['state'], attempts: 1, restarts: 0, ready: state === 'running', ...extra });

describe('watchStatus', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test('on a TTY: draws the table, keeps it current in place, and leaves its last drawing when the group settles', async () => {
    const recorder = eventRecorder();
    const group = startGroup(
      [{ name: 'flaky', work: () => Promise.reject(new Error('boom')), backoff: { initialMs: 1000 } }, { name: 'steady', work: steady }],
      { installSignals: false, logger: false, onEvent: recorder.onEvent },
    );
    await recorder.until((event) => event.type === 'worker.crashed');
    const terminal = new FakeTerminal(100, 30);
    const view = watchStatus(group, { stream: terminal.tty, intervalMs: 500, footer: () => 'footer line' });
    expect(view.live).toBe(true);
    expect(terminal.screen.text()).toEqual([...renderStatus(group).split('\n'), 'footer line']);
    expect(terminal.screen.text()[1]).toContain('in 1.0 s');
    await vi.advanceTimersByTimeAsync(500);
    expect(terminal.screen.text()).toEqual([...renderStatus(group).split('\n'), 'footer line']);
    expect(terminal.screen.text()[1]).toContain('in 0.5 s');
    await group.stop();
    await Promise.resolve();
    const drawn = terminal.chunks.length;
    expect(terminal.screen.text()[1]).toMatch(/^flaky +stopped/);
    expect(terminal.screen.text().filter((line) => line.startsWith('WORKER'))).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(terminal.chunks).toHaveLength(drawn); // no redraw after the group settled
    expect(vi.getTimerCount()).toBe(0);
  });

  test('writes only when the rendered view changed', async () => {
    const entries = [worker('a', 'running'), worker('b', 'running')];
    const { handle, settle } = fakeGroup(entries);
    const terminal = new FakeTerminal(80, 24);
    const view = watchStatus(handle, { stream: terminal.tty, intervalMs: 250 });
    expect(terminal.chunks).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10_000); // 40 renders of the same view
    expect(terminal.chunks).toHaveLength(1);
    entries[1] = worker('b', 'failed', { lastError: new Error('gone') });
    await vi.advanceTimersByTimeAsync(250);
    expect(terminal.chunks).toHaveLength(2);
    expect(terminal.screen.text()).toEqual([
      'WORKER  STATE    ATTEMPTS  RESTARTS  NEXT ATTEMPT  LAST ERROR',
      'a       running  1         0',
      'b       failed   1         0                       Error: gone',
    ]);
    view.stop();
    settle();
  });

  test('cuts every line, footer included, to the terminal width', () => {
    const { handle, settle } = fakeGroup([
      worker('a-rather-long-worker-name', 'backoff', { lastError: new Error('y'.repeat(200)), nextAttemptAt: 2000 }),
      worker('b', 'running'),
    ]);
    const terminal = new FakeTerminal(40, 24);
    const view = watchStatus(handle, { stream: terminal.tty, footer: () => `a log line ${'z'.repeat(100)}` });
    const lines = terminal.screen.text();
    expect(lines).toHaveLength(4);
    expect(Math.max(...lines.map((line) => stringWidth(line)))).toBe(40);
    expect(lines[0]).toBe('WORKER                     STATE    ATT…');
    expect(lines[3]?.endsWith('…')).toBe(true);
    view.stop();
    settle();
  });

  test('keeps a large group within the terminal height: header and failed workers on screen', () => {
    const entries = Array.from({ length: 2000 }, (_, index) => worker(`worker-${index}`, 'running'));
    entries[1234] = worker('worker-1234', 'failed', { lastError: new Error('disk full') });
    entries[42] = worker('worker-42', 'backoff', { nextAttemptAt: 3000 });
    const { handle, settle } = fakeGroup(entries);
    const terminal = new FakeTerminal(80, 40);
    const view = watchStatus(handle, { stream: terminal.tty, footer: () => 'l1\nl2\nl3' });
    const lines = terminal.screen.text();
    expect(lines.length).toBeLessThanOrEqual(38);
    expect(lines[0]).toBe('2000 workers: 1 failed, 1 backoff, 1998 running');
    expect(lines[1]).toMatch(/^WORKER/);
    expect(lines[2]).toMatch(/^worker-1234 +failed .*Error: disk full$/);
    expect(lines[3]).toMatch(/^worker-42 +backoff .*in 3\.0 s$/);
    expect(lines.slice(-4)).toEqual([`… ${2000 - (lines.length - 6)} more`, 'l1', 'l2', 'l3']);
    // ~37 lines of output, not 2000.
    expect(terminal.chunks.join('').length).toBeLessThan(4000);
    view.stop();
    settle();
  });

  test('a resize redraws the view for the new size', () => {
    const { handle, settle } = fakeGroup([worker('w', 'failed', { lastError: new Error('x'.repeat(100)) })]);
    const terminal = new FakeTerminal(120, 24);
    const view = watchStatus(handle, { stream: terminal.tty });
    expect(stringWidth(terminal.screen.text()[1]!)).toBeGreaterThan(60);
    terminal.resize(50, 24);
    const lines = terminal.screen.text();
    expect(lines).toHaveLength(2);
    expect(lines.map((line) => stringWidth(line))).toEqual([50, 50]);
    expect(lines[0]).toMatch(/^WORKER/);
    view.stop();
    expect(terminal.listenerCount('resize')).toBe(0);
    settle();
  });

  test('output written by others goes above the table, not through it', async () => {
    const { handle, settle } = fakeGroup([worker('a', 'running'), worker('b', 'running')]);
    const terminal = new FakeTerminal(80, 24);
    const view = watchStatus(handle, { stream: terminal.tty });
    terminal.write('a worker says hello\n');
    terminal.write('and then ');
    terminal.write('some more\n');
    await vi.advanceTimersByTimeAsync(0); // the redraw waits for the next turn
    expect(terminal.screen.text()).toEqual([
      'a worker says hello',
      'and then some more',
      'WORKER  STATE    ATTEMPTS  RESTARTS  NEXT ATTEMPT  LAST ERROR',
      'a       running  1         0',
      'b       running  1         0',
    ]);
    expect(Object.hasOwn(terminal, 'write')).toBe(true); // wrapped while live
    view.stop();
    expect(Object.hasOwn(terminal, 'write')).toBe(false); // its own write is back
    settle();
  });

  test('on a stream that is not a TTY it draws nothing', async () => {
    const group = startGroup([{ name: 'a', work: steady }], { installSignals: false, logger: false });
    const terminal = new FakeTerminal(80, 24);
    const stream = Object.assign(terminal, { isTTY: false });
    expect(watchStatus(group, { stream: stream as unknown as NodeJS.WriteStream }).live).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(terminal.chunks).toEqual([]);
    await group.stop();
  });

  test('checks its options', async () => {
    const group = startGroup([{ name: 'a', work: steady }], { installSignals: false, logger: false });
    expect(() => watchStatus(group, { intervalMs: 0 })).toThrow(new RangeError('Expected `intervalMs` to be a number of milliseconds ≥ 10, got 0'));
    expect(() => watchStatus(group, { footer: 'x' as unknown as () => string })).toThrow(TypeError);
    expect(() => watchStatus(group, { colour: true } as never)).toThrow('Unknown option `colour`');
    expect(() => watchStatus(undefined as never)).toThrow(TypeError);
    await group.stop();
  });
});
