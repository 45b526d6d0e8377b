// Dynamic groups at scale: add() and remove() cost what specs cost (relative CPU, N vs 10·N),
// a finished worker's removal deep in a large group, and the heap of many short-lived names.
import { describe, expect, test } from 'vitest';
import { startGroup, type Work } from '../../src/index.js';
import { aborted, deferred } from '../helpers.js';

const quiet = { installSignals: false, logger: false } as const;
const waiting: Work = ({ signal }) => aborted(signal);
const cpu = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return used.user + used.system;
};

/** N workers added one by one to an empty group, then removed one by one: CPU of each half. */
async function addThenRemove(n: number): Promise<{ add: number; remove: number }> {
  const group = startGroup([], { ...quiet, autoShutdown: 'never' });
  const addStart = process.cpuUsage();
  for (let i = 0; i < n; i++) group.add({ name: `tenant-${i}`, work: waiting });
  const add = cpu(addStart);
  const removeStart = process.cpuUsage();
  for (let i = 0; i < n; i++) await group.remove(`tenant-${i}`);
  const remove = cpu(removeStart);
  expect(group.status()).toEqual([]);
  expect(await group.stop()).toEqual({ outcome: 'stopped', workers: [] });
  return { add, remove };
}

describe('dynamic groups at scale', () => {
  test('20k add() calls, and removing them, cost less than 20× the CPU of 2k (linear ≈ 10)', async () => {
    await addThenRemove(2000); // warm up the JIT
    const small = await addThenRemove(2000);
    const large = await addThenRemove(20_000);
    const ratios = { add: large.add / small.add, remove: large.remove / small.remove };
    console.log(`add: 2k ${(small.add / 1000).toFixed(0)} ms, 20k ${(large.add / 1000).toFixed(0)} ms, ratio ${ratios.add.toFixed(1)}; ` +
      `remove: 2k ${(small.remove / 1000).toFixed(0)} ms, 20k ${(large.remove / 1000).toFixed(0)} ms, ratio ${ratios.remove.toFixed(1)}`);
    expect(ratios.add).toBeLessThan(20);
    expect(ratios.remove).toBeLessThan(20);
  }, 300_000);

  test('12k finished workers, then remove() the oldest: the group goes on', async () => {
    const n = 12_000;
    let exited = 0;
    const allExited = deferred();
    const group = startGroup([{ name: 'keep', work: waiting }], {
      ...quiet,
      onEvent: (event) => {
        if (event.type === 'worker.exited' && ++exited === n) allExited.resolve();
      },
    });
    for (let i = 0; i < n; i++) group.add({ name: `job-${i}`, work: () => undefined });
    await allExited.promise;
    expect(await group.remove('job-0')).toMatchObject({ name: 'job-0', outcome: 'done' });
    expect(group.actor.getSnapshot().status).toBe('active');
    expect(group.status()).toHaveLength(n);
    const report = await group.stop();
    expect(report.workers[0]).toMatchObject({ name: 'keep', outcome: 'stopped' });
    expect(report.workers.slice(1).map((worker) => worker.name)).toEqual(Array.from({ length: n - 1 }, (_, i) => `job-${i + 1}`));
  }, 120_000);

  test('2,000 groups of 10 freshly named workers, created and stopped: the heap stays flat after warm-up', async () => {
    const gc = globalThis.gc;
    if (gc === undefined) throw new Error('needs --expose-gc (vitest.config.ts execArgv)');
    let serial = 0;
    const round = async () => {
      const group = startGroup(
        Array.from({ length: 10 }, () => ({ name: `conn-${(serial += 1)}`, work: waiting })),
        quiet,
      );
      await group.stop();
    };
    for (let i = 0; i < 400; i++) await round();
    gc();
    const warm = process.memoryUsage().heapUsed;
    for (let i = 0; i < 2000; i++) await round();
    gc();
    const growth = process.memoryUsage().heapUsed - warm;
    console.log(`heap growth over 2,000 groups (20,000 fresh names): ${(growth / 1024).toFixed(0)} KB`);
    // Before the tree had ids of its own, each fresh name cost ≈ 0.33 KB for good (≈ 6.6 MB here).
    expect(growth).toBeLessThan(1024 * 1024);
  }, 300_000);
});
