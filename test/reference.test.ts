// The Python reference's five cases (restart, clean exit, crash isolation, shutdown, empty
// group), through the public promise API on fake timers.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { runGroup, supervise } from '../src/index.js';
import { aborted, deferred, eventRecorder as recorder } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('reference cases', () => {
  test('restart: a crashed worker is restarted after 1 s, then 2 s', async () => {
    const starts: number[] = [];
    const promise = supervise(
      'flaky',
      ({ attempt }) => {
        starts.push(Date.now());
        if (attempt < 3) throw new Error(`crash ${attempt}`);
      },
      { logger: false },
    );
    await vi.runAllTimersAsync();
    const report = await promise;
    expect(starts.map((time) => time - (starts[0] ?? 0))).toEqual([0, 1000, 3000]);
    expect(report).toMatchObject({ name: 'flaky', outcome: 'done', attempts: 3, restarts: 2 });
    expect((report.lastError as Error).message).toBe('crash 2');
  });

  test('clean exit: a worker that returns is not restarted', async () => {
    let calls = 0;
    const report = await supervise('once', () => {
      calls++;
    }, { logger: false });
    await vi.runAllTimersAsync();
    expect(calls).toBe(1);
    expect(report).toEqual({ name: 'once', outcome: 'done', attempts: 1, restarts: 0, stopTimedOut: false });
  });

  test('crash isolation: a crashing worker does not cancel or restart its sibling', async () => {
    const controller = new AbortController();
    const { onEvent, until, events } = recorder();
    let steadySignal: AbortSignal | undefined;
    const promise = runGroup(
      [
        { name: 'steady', work: ({ signal }) => { steadySignal = signal; return aborted(signal); } },
        { name: 'flaky', work: () => Promise.reject(new Error('boom')) },
      ],
      { signal: controller.signal, installSignals: false, logger: false, onEvent },
    );
    for (let crash = 1; crash <= 4; crash++) {
      await until((event) => event.type === 'worker.crashed' && event.attempt === crash);
      await vi.advanceTimersByTimeAsync(1000 * 2 ** (crash - 1));
    }
    expect(steadySignal?.aborted).toBe(false);
    expect(events.filter((event) => event.type === 'worker.started' && event.name === 'steady')).toHaveLength(1);
    controller.abort();
    const report = await promise;
    expect(report.workers).toEqual([
      { name: 'steady', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false },
      expect.objectContaining({ name: 'flaky', outcome: 'stopped', attempts: 5, restarts: 4 }),
    ]);
  });

  test('shutdown: every work is aborted and awaited before the group reports stopped', async () => {
    const controller = new AbortController();
    const cleanup = deferred();
    const cleaned: string[] = [];
    const promise = runGroup(
      ['a', 'b'].map((name) => ({
        name,
        work: async ({ signal }: { signal: AbortSignal }) => {
          await aborted(signal);
          await cleanup.promise;
          cleaned.push(name);
        },
      })),
      { signal: controller.signal, installSignals: false, logger: false },
    );
    controller.abort();
    let settled = false;
    void promise.then(() => { settled = true; });
    await vi.advanceTimersByTimeAsync(5000);
    expect(settled).toBe(false);
    cleanup.resolve();
    const report = await promise;
    expect(cleaned).toEqual(['a', 'b']);
    expect(report).toEqual({
      outcome: 'stopped',
      workers: [
        { name: 'a', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false },
        { name: 'b', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false },
      ],
    });
  });

  test('empty group: resolves at once as done', async () => {
    await expect(runGroup([], { installSignals: false, logger: false })).resolves.toEqual({ outcome: 'done', workers: [] });
  });
});
