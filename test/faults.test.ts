// The fault matrix: every way a work can misbehave, each next to a steady sibling.
// Each test asserts that the sibling is never restarted or disturbed, that the report is
// exact, that nothing of the package is left running, and that no unhandled rejection or
// uncaught exception happened.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createActor, waitFor } from 'xstate';
import { groupMachine, runGroup, type GroupReport, type Work, type WorkerReport } from '../src/index.js';
import { aborted, eventRecorder } from './helpers.js';

const escaped: unknown[] = [];
const onEscaped = (reason: unknown) => escaped.push(reason);
const realTimers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout' || kind === 'Immediate').length;
let timersBefore = 0;

beforeEach(() => {
  escaped.length = 0;
  process.on('unhandledRejection', onEscaped);
  process.on('uncaughtException', onEscaped);
  timersBefore = realTimers();
});
afterEach(async () => {
  vi.useRealTimers();
  // One turn of the event loop: a rejection nobody handles is reported by then.
  await new Promise((resolve) => setImmediate(resolve));
  process.off('unhandledRejection', onEscaped);
  process.off('uncaughtException', onEscaped);
  expect(escaped).toEqual([]);
  expect(realTimers()).toBeLessThanOrEqual(timersBefore);
});

/**
 * Runs `faulty` next to a steady worker for `runMs` of fake time, then stops the group
 * and lets `stopMs` pass. Returns the faulty worker's report, having checked the steady one.
 */
async function withSteadySibling(faulty: Work, options: { runMs?: number; stopMs?: number; restart?: 'never' } = {}) {
  vi.useFakeTimers();
  const controller = new AbortController();
  const recorder = eventRecorder();
  let steadyStarts = 0;
  let steadySignal: AbortSignal | undefined;
  const signals: AbortSignal[] = [];
  const promise = runGroup(
    [
      { name: 'steady', work: ({ signal }) => { steadyStarts++; steadySignal = signal; return aborted(signal); } },
      {
        name: 'faulty',
        work: (context) => { signals.push(context.signal); return faulty(context); },
        backoff: { initialMs: 100 },
        stopTimeoutMs: 500,
        ...(options.restart ? { restart: options.restart } : {}),
      },
    ],
    { signal: controller.signal, installSignals: false, logger: false, onEvent: recorder.onEvent },
  );
  await vi.advanceTimersByTimeAsync(options.runMs ?? 1000);
  expect(steadySignal?.aborted).toBe(false);
  controller.abort();
  await vi.advanceTimersByTimeAsync(options.stopMs ?? 500);
  const report: GroupReport = await promise;
  expect(steadyStarts).toBe(1);
  expect(report.workers[0]).toEqual({ name: 'steady', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false });
  expect(report.outcome).toBe('stopped');
  expect(signals.every((signal) => signal.aborted)).toBe(true); // no work is left with a live signal
  expect(vi.getTimerCount()).toBe(0); // no backoff or stop deadline is left pending
  expect(recorder.events.filter((event) => event.type === 'worker.started' && event.name === 'steady')).toHaveLength(1);
  return report.workers[1] as WorkerReport;
}

// Crashing every time with backoff 100 ms, ×2: attempts at 0, 100, 300, 700 ms in the first second.
const crashLoop = { outcome: 'stopped', attempts: 4, restarts: 3, stopTimedOut: false };
const thrown: Array<[string, () => unknown]> = [
  ['an Error', () => new Error('e')],
  ['undefined', () => undefined],
  ['null', () => null],
  ['a string', () => 'text'],
  ['a number', () => 42],
  ['an object without a stack', () => ({ code: 'E_NOPE' })],
];

describe('faults: crashes of every kind are restarted', () => {
  test('a synchronous throw', async () => {
    const error = new Error('sync');
    const report = await withSteadySibling(() => { throw error; });
    expect(report).toEqual({ name: 'faulty', ...crashLoop, lastError: error });
  });

  test.each(thrown)('a rejection with %s', async (_, make) => {
    const value = make();
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    const report = await withSteadySibling(() => Promise.reject(value));
    expect(report).toEqual({ name: 'faulty', ...crashLoop, lastError: value });
    expect('lastError' in report).toBe(true);
  });

  test('a worker crashing at zero backoff 10,000 times in a row, next to a steady worker', async () => {
    const recorder = eventRecorder();
    const controller = new AbortController();
    let steadyStarts = 0;
    const promise = runGroup(
      [
        { name: 'steady', work: ({ signal }) => { steadyStarts++; return aborted(signal); } },
        { name: 'storm', work: ({ attempt, signal }) => (attempt <= 10_000 ? Promise.reject(new Error('again')) : aborted(signal)), backoff: { initialMs: 0 } },
      ],
      { signal: controller.signal, installSignals: false, logger: false, onEvent: recorder.onEvent },
    );
    await recorder.until((event) => event.type === 'worker.started' && event.attempt === 10_001);
    controller.abort();
    const report = await promise;
    expect(steadyStarts).toBe(1);
    expect(report.workers.map(({ name, outcome, attempts }) => [name, outcome, attempts])).toEqual([
      ['steady', 'stopped', 1],
      ['storm', 'stopped', 10_001],
    ]);
  });

  test('1000 workers crashing at once are all restarted; the steady one is untouched', async () => {
    const recorder = eventRecorder();
    const controller = new AbortController();
    let steadyStarts = 0;
    const crashing = Array.from({ length: 1000 }, (_, i) => ({
      name: `c${i}`,
      work: ({ attempt, signal }: { attempt: number; signal: AbortSignal }) => (attempt === 1 ? Promise.reject(new Error('together')) : aborted(signal)),
      backoff: { initialMs: 0 },
    }));
    const promise = runGroup([{ name: 'steady', work: ({ signal }) => { steadyStarts++; return aborted(signal); } }, ...crashing], {
      signal: controller.signal, installSignals: false, logger: false, onEvent: recorder.onEvent,
    });
    await recorder.untilCount((event) => event.type === 'worker.started' && event.attempt === 2, 1000);
    controller.abort();
    const report = await promise;
    expect(steadyStarts).toBe(1);
    expect(report.workers.slice(1).every((worker) => worker.outcome === 'stopped' && worker.attempts === 2)).toBe(true);
  });
});

describe('faults: work that will not stop', () => {
  test('a promise that never settles: STOP gives up at the stop timeout', async () => {
    const report = await withSteadySibling(() => new Promise(() => {}));
    expect(report).toEqual({ name: 'faulty', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: true });
  });

  test('work that ignores its abort signal and finishes later: cut off, its late result ignored', async () => {
    const report = await withSteadySibling(() => new Promise((resolve) => setTimeout(resolve, 5000)), { stopMs: 5000 });
    expect(report).toEqual({ name: 'faulty', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: true });
  });

  test('work that throws while handling its abort: stopped, not restarted, the error kept', async () => {
    const error = new Error('cleanup failed');
    const report = await withSteadySibling(async ({ signal }) => { await aborted(signal); throw error; });
    expect(report).toEqual({ name: 'faulty', outcome: 'stopped', attempts: 1, restarts: 0, lastError: error, stopTimedOut: false });
  });

  test('work that crashes a while after STOP: stopped, not restarted', async () => {
    const error = new Error('late crash');
    const report = await withSteadySibling(async ({ signal }) => {
      await aborted(signal);
      await new Promise((resolve) => setTimeout(resolve, 200));
      throw error;
    });
    expect(report).toEqual({ name: 'faulty', outcome: 'stopped', attempts: 1, restarts: 0, lastError: error, stopTimedOut: false });
  });
});

describe('faults: promises that misbehave', () => {
  test('a promise that resolves and rejects in the same tick counts as its first settlement', async () => {
    const report = await withSteadySibling(() => new Promise<void>((resolve, reject) => { resolve(); reject(new Error('ignored')); }));
    expect(report).toEqual({ name: 'faulty', outcome: 'done', attempts: 1, restarts: 0, stopTimedOut: false });
  });

  test('a thenable that calls both callbacks counts as its first call', async () => {
    const thenable = {
      then(resolve: (value: unknown) => void, reject: (reason: unknown) => void) {
        reject(new Error('first'));
        resolve('second');
      },
    };
    const report = await withSteadySibling(({ attempt, signal }) => (attempt === 1 ? thenable : aborted(signal)));
    expect(report).toMatchObject({ name: 'faulty', outcome: 'stopped', attempts: 2, restarts: 1 });
    expect((report.lastError as Error).message).toBe('first');
  });
});

describe('faults: STOP in every state', () => {
  test('in running', async () => {
    const report = await withSteadySibling(({ signal }) => aborted(signal));
    expect(report).toEqual({ name: 'faulty', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false });
  });

  test('in stopping, and STOP twice: one stop, one report', async () => {
    let release!: () => void;
    const cleanup = new Promise<void>((resolve) => (release = resolve));
    const recorder = eventRecorder();
    const group = createActor(groupMachine, {
      input: {
        workers: [
          { name: 'steady', work: ({ signal }) => aborted(signal) },
          { name: 'slow', work: async ({ signal }) => { await aborted(signal); await cleanup; } },
        ],
        onEvent: recorder.onEvent,
      },
    }).start();
    group.send({ type: 'STOP' });
    await recorder.until((event) => event.type === 'worker.stopped' && event.name === 'steady');
    group.send({ type: 'STOP' }); // while 'slow' is stopping
    release();
    const snapshot = await waitFor(group, (s) => s.status === 'done');
    expect(snapshot.output?.workers).toEqual([
      { name: 'steady', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false },
      { name: 'slow', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false },
    ]);
    expect(recorder.events.filter((event) => event.type === 'group.stopping')).toHaveLength(1);
    expect(recorder.events.filter((event) => event.type === 'worker.stopped')).toHaveLength(2);
  });

  test('in backoff: ends at once, no new attempt', async () => {
    // Crashes at 0 and 100 ms; the next attempt would start at 300 ms; STOP comes at 200 ms.
    const report = await withSteadySibling(() => Promise.reject(new Error('x')), { runMs: 200 });
    expect(report).toMatchObject({ outcome: 'stopped', attempts: 2, restarts: 1, stopTimedOut: false });
  });

  test('in done: the report stays done', async () => {
    const report = await withSteadySibling(() => 'finished');
    expect(report).toEqual({ name: 'faulty', outcome: 'done', attempts: 1, restarts: 0, stopTimedOut: false });
  });

  test('in failed: the report stays failed', async () => {
    const error = new Error('fatal');
    const report = await withSteadySibling(() => Promise.reject(error), { restart: 'never' });
    expect(report).toEqual({ name: 'faulty', outcome: 'failed', attempts: 1, restarts: 0, lastError: error, stopTimedOut: false });
  });

  test('in stopped, and twice: nothing changes', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const promise = runGroup([{ name: 'a', work: ({ signal }) => aborted(signal) }], { signal: controller.signal, installSignals: false, logger: false });
    controller.abort();
    controller.abort(); // a second abort fires no event
    const report = await promise;
    expect(report.workers[0]).toEqual({ name: 'a', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false });
  });
});
