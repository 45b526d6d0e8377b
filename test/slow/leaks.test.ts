// What a settled group leaves behind: nothing. Process signal listeners, timers, abort
// listeners on the signals the package was given or created, and the heap after 100k
// restarts.
import { getEventListeners } from 'node:events';
import { describe, expect, test } from 'vitest';
import { runGroup, supervise } from '../../src/index.js';
import { aborted, eventRecorder } from '../helpers.js';

const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout' || kind === 'Immediate').length;

describe('leaks', () => {
  test('after a group settles: the same SIGTERM/SIGINT listeners, no timer, no abort listener', async () => {
    const before = { term: process.listenerCount('SIGTERM'), int: process.listenerCount('SIGINT'), timers: timers() };
    const controller = new AbortController();
    const recorder = eventRecorder();
    const signals: AbortSignal[] = [];
    const promise = runGroup(
      [
        { name: 'waits', work: ({ signal }) => { signals.push(signal); return aborted(signal); } },
        { name: 'crashes', work: ({ signal, attempt }) => { signals.push(signal); return attempt < 3 ? Promise.reject(new Error('x')) : aborted(signal); }, backoff: { initialMs: 0 } },
        { name: 'stuck', work: ({ signal }) => { signals.push(signal); return new Promise(() => {}); }, stopTimeoutMs: 10 },
      ],
      { signal: controller.signal, logger: false, onEvent: recorder.onEvent },
    );
    await recorder.until((event) => event.type === 'worker.started' && event.name === 'crashes' && event.attempt === 3);
    expect(process.listenerCount('SIGTERM')).toBe(before.term + 1);
    controller.abort();
    await promise;
    expect(process.listenerCount('SIGTERM')).toBe(before.term);
    expect(process.listenerCount('SIGINT')).toBe(before.int);
    expect(timers()).toBeLessThanOrEqual(before.timers);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(signals).toHaveLength(5);
    for (const signal of signals) {
      expect(signal.aborted).toBe(true);
      expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    }
  });

  test('a signal that is never aborted keeps no listener once the group finished on its own', async () => {
    const controller = new AbortController();
    await runGroup([{ name: 'a', work: () => undefined }], { signal: controller.signal, installSignals: false, logger: false });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  test('100k restarts grow the heap by less than 1 MB', async () => {
    const gc = globalThis.gc;
    if (gc === undefined) throw new Error('needs --expose-gc (vitest.config.ts execArgv)');
    const crash = new Error('again');
    const total = 100_000;
    const warm = 2000;
    let heapWarm = 0;
    const report = await supervise(
      'soak',
      ({ attempt }) => {
        if (attempt === warm) {
          gc();
          heapWarm = process.memoryUsage().heapUsed;
        }
        if (attempt <= total) throw crash;
      },
      { backoff: { initialMs: 0 }, logger: false },
    );
    gc();
    const growth = process.memoryUsage().heapUsed - heapWarm;
    expect(report.attempts).toBe(total + 1);
    expect(growth).toBeLessThan(1024 * 1024);
  }, 60_000);
});
