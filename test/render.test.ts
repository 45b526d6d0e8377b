// The status renderer and the live view. The view is drawn on a stream that says it is a
// TTY and records what was written (the demo itself was checked in a real terminal, tmux).
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { renderStatus, startGroup, watchStatus, type Work, type WorkerStatus } from '../src/index.js';
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
});

describe('watchStatus', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function terminal(isTTY: boolean) {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString());
        callback();
      },
    }) as Writable & { isTTY?: boolean };
    stream.isTTY = isTTY;
    return { stream: stream as unknown as NodeJS.WriteStream, chunks };
  }

  test('on a TTY: draws the table, redraws it in place every intervalMs, and a last time when the group settles', async () => {
    const recorder = eventRecorder();
    const group = startGroup(
      [{ name: 'flaky', work: () => Promise.reject(new Error('boom')), backoff: { initialMs: 1000 } }, { name: 'steady', work: steady }],
      { installSignals: false, logger: false, onEvent: recorder.onEvent },
    );
    await recorder.until((event) => event.type === 'worker.crashed');
    const { stream, chunks } = terminal(true);
    const view = watchStatus(group, { stream, intervalMs: 500, footer: () => 'footer line' });
    expect(view.live).toBe(true);
    expect(chunks).toEqual([`${renderStatus(group)}\nfooter line\n`]);
    expect(chunks[0]).toContain('in 1.0 s');
    await vi.advanceTimersByTimeAsync(500);
    // Back to the first of the 4 lines drawn, clear to the end, draw again.
    expect(chunks[1]).toBe(`\x1b[4F\x1b[0J${renderStatus(group)}\nfooter line\n`);
    expect(chunks[1]).toContain('in 0.5 s');
    await group.stop();
    await Promise.resolve();
    const drawn = chunks.length;
    expect(chunks.at(-1)).toContain('stopped');
    await vi.advanceTimersByTimeAsync(5000);
    expect(chunks).toHaveLength(drawn); // no redraw after the group settled
    expect(vi.getTimerCount()).toBe(0);
  });

  test('on a stream that is not a TTY it draws nothing', async () => {
    const group = startGroup([{ name: 'a', work: steady }], { installSignals: false, logger: false });
    const { stream, chunks } = terminal(false);
    expect(watchStatus(group, { stream }).live).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(chunks).toEqual([]);
    await group.stop();
  });

  test('checks its options', async () => {
    const group = startGroup([{ name: 'a', work: steady }], { installSignals: false, logger: false });
    expect(() => watchStatus(group, { intervalMs: 0 })).toThrow(new RangeError('Expected `intervalMs` to be a number of milliseconds ≥ 10, got 0'));
    expect(() => watchStatus(group, { footer: 'x' as unknown as () => string })).toThrow(TypeError);
    expect(() => watchStatus(group, { colour: true } as never)).toThrow('Unknown option `colour`');
    await group.stop();
  });
});
