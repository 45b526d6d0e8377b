// Not a speed target (those live in `npm run bench`): a proof of shape. A group of 20k
// workers must start and stop in about 10× the CPU time of 2k, not 100× (quadratic).
import { describe, expect, test } from 'vitest';
import { createActor } from 'xstate';
import { groupMachine, runGroup, workerMachine } from '../../src/index.js';
import { aborted, deferred } from '../helpers.js';

async function startAndStop(n: number): Promise<number> {
  const allStarted = deferred();
  const controller = new AbortController();
  let started = 0;
  const specs = Array.from({ length: n }, (_, i) => ({
    name: `w${i}`,
    work: ({ signal }: { signal: AbortSignal }) => {
      if (++started === n) allStarted.resolve();
      return aborted(signal);
    },
  }));
  const before = process.cpuUsage();
  const done = runGroup(specs, { signal: controller.signal, installSignals: false, logger: false });
  await allStarted.promise;
  controller.abort();
  const report = await done;
  const cpu = process.cpuUsage(before);
  expect(report.workers).toHaveLength(n);
  expect(report.workers.every((worker) => worker.outcome === 'stopped' && !worker.stopTimedOut)).toBe(true);
  return cpu.user + cpu.system;
}

describe('scaling', () => {
  test('20k workers start and stop in linear, not quadratic, time relative to 2k', async () => {
    await startAndStop(2000); // warm up the JIT
    const small = await startAndStop(2000);
    const large = await startAndStop(20_000);
    const ratio = large / small;
    console.log(`start+stop CPU: 2k ${(small / 1000).toFixed(0)} ms, 20k ${(large / 1000).toFixed(0)} ms, ratio ${ratio.toFixed(1)} (linear ≈ 10, quadratic ≈ 100)`);
    expect(ratio).toBeLessThan(20);
  }, 120_000);
});

describe('context shape', () => {
  // XState copies a machine's context with Object.assign on every `assign`. V8 turns a copy
  // of about 20 properties or more into a dictionary object, and each later copy of it took
  // about 4 µs instead of 0.2 µs: a crash loop paid for several per restart. The fixed
  // settings therefore live in one `config` object; this keeps the property counts in check.
  test('the worker and group contexts stay small enough to remain fast objects', () => {
    const worker = createActor(workerMachine, { input: { name: 'w', work: () => new Promise(() => {}) } }).start();
    const group = createActor(groupMachine, { input: { workers: [] } }).start();
    expect(Object.keys(worker.getSnapshot().context).length).toBeLessThanOrEqual(16);
    expect(Object.keys(group.getSnapshot().context).length).toBeLessThanOrEqual(16);
    worker.stop();
    group.stop();
  });
});
