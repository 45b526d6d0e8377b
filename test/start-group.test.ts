// startGroup: the handle (add, remove, status, stop, done) and the group machine's ADD and
// REMOVE events. Time is vitest's fake timers (Date included); settlements are awaited.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createActor, waitFor, type AnyActorRef } from 'xstate';
import { groupMachine, startGroup, type Work, type WorkerSpec } from '../src/index.js';
import { aborted, controllableWork, eventRecorder } from './helpers.js';

const quiet = { installSignals: false, logger: false } as const;
const steady: Work = ({ signal }) => aborted(signal);

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('startGroup', () => {
  test('runs like runGroup: stop() resolves with the report, done with the same', async () => {
    const group = startGroup([{ name: 'a', work: steady }], quiet);
    const report = await group.stop();
    expect(report).toEqual({ outcome: 'stopped', workers: [{ name: 'a', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false }] });
    expect(await group.done).toBe(report);
  });

  test('throws for bad input before anything starts', () => {
    const work = vi.fn();
    expect(() => startGroup([{ name: 'a', work }, { name: 'a', work }], quiet)).toThrow(TypeError);
    expect(() => startGroup([{ name: 'a', work }], { ...quiet, onGiveUp: 'sometimes' as 'isolate' })).toThrow(
      "Expected `onGiveUp` to be one of 'isolate', 'escalate', got 'sometimes'",
    );
    expect(work).not.toHaveBeenCalled();
  });

  describe('add()', () => {
    test('starts a supervised worker in the running group, restarted on crashes like the others', async () => {
      const recorder = eventRecorder();
      const group = startGroup([{ name: 'a', work: steady }], { ...quiet, onEvent: recorder.onEvent });
      const added = controllableWork();
      group.add({ name: 'b', work: added.work, backoff: { initialMs: 100 } });
      await recorder.until((event) => event.type === 'worker.started' && event.name === 'b');
      added.last().settle.reject(new Error('boom'));
      await recorder.until((event) => event.type === 'worker.crashed' && event.name === 'b');
      await vi.advanceTimersByTimeAsync(100);
      expect(added.attempts).toHaveLength(2);
      const stopping = group.stop();
      added.last().settle.resolve();
      const report = await stopping;
      expect(report.workers.map((worker) => [worker.name, worker.outcome, worker.attempts])).toEqual([
        ['a', 'stopped', 1],
        ['b', 'stopped', 2],
      ]);
    });

    test('refuses a duplicate name, a bad spec and a stopping group with a clear error, and changes nothing', async () => {
      const work = vi.fn(steady);
      const group = startGroup([{ name: 'a', work: steady }], quiet);
      expect(() => group.add({ name: 'a', work })).toThrow(
        new TypeError("Expected `spec.name` to be a name not in use in the group, got 'a'"),
      );
      expect(() => group.add({ name: 'b', work, backoff: { factor: 0 } })).toThrow(RangeError);
      expect(() => group.add({ name: 'b', work, stopTimeout: 5 } as WorkerSpec)).toThrow('Unknown option `spec.stopTimeout`');
      expect(() => group.add(null as unknown as WorkerSpec)).toThrow('Expected `spec` to be a worker spec object, got null');
      expect(group.status().map((entry) => entry.name)).toEqual(['a']);
      const stopped = group.stop();
      expect(() => group.add({ name: 'b', work })).toThrow("Cannot add worker 'b' to the group: it is stopping");
      await stopped;
      expect(() => group.add({ name: 'b', work })).toThrow("Cannot add worker 'b' to the group: it has ended");
      expect(work).not.toHaveBeenCalled();
    });

    test('a name in use by a finished worker is refused too; remove() it first to reuse it', async () => {
      const group = startGroup([{ name: 'job', work: () => 'done' }, { name: 'keep', work: steady }], quiet);
      await waitFor(group.actor, () => group.status()[0]?.state === 'done');
      expect(() => group.add({ name: 'job', work: () => 'again' })).toThrow(TypeError);
      expect(await group.remove('job')).toMatchObject({ name: 'job', outcome: 'done' });
      group.add({ name: 'job', work: steady });
      expect(group.status().map((entry) => [entry.name, entry.state])).toEqual([
        ['keep', 'running'],
        ['job', 'running'],
      ]);
      await group.stop();
    });

    test('works in a group hosted as a tree, and beside a worker named like an inner group', async () => {
      const specs: WorkerSpec[] = Array.from({ length: 40 }, (_, index) => ({ name: `w${index}`, work: steady }));
      const group = startGroup(specs, quiet);
      group.add({ name: 'extra', work: steady });
      group.add({ name: 'shard-0', work: steady });
      expect(group.status()).toHaveLength(42);
      expect(group.status().slice(-2).map((entry) => entry.name)).toEqual(['extra', 'shard-0']);
      const report = await group.stop();
      expect(report.workers).toHaveLength(42);
      expect(report.workers.every((worker) => worker.outcome === 'stopped')).toBe(true);
    });
  });

  describe('remove()', () => {
    test('stops the worker gracefully, resolves with its report, and the others keep running', async () => {
      let cleanedUp = false;
      const steadySignals: AbortSignal[] = [];
      const group = startGroup(
        [
          { name: 'leaving', work: async ({ signal }) => { await aborted(signal); cleanedUp = true; } },
          { name: 'staying', work: ({ signal }) => { steadySignals.push(signal); return aborted(signal); } },
        ],
        quiet,
      );
      const report = await group.remove('leaving');
      expect(cleanedUp).toBe(true);
      expect(report).toEqual({ name: 'leaving', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false });
      expect(steadySignals.map((signal) => signal.aborted)).toEqual([false]);
      expect(group.status().map((entry) => entry.name)).toEqual(['staying']);
      expect(group.actor.getSnapshot().value).toBe('running');
      const final = await group.stop();
      expect(final.workers.map((worker) => worker.name)).toEqual(['staying']);
    });

    test("a removed worker's stop is timed by its own stopTimeoutMs", async () => {
      const group = startGroup(
        [{ name: 'stuck', work: () => new Promise(() => {}), stopTimeoutMs: 2000 }, { name: 'other', work: steady }],
        quiet,
      );
      let settled = false;
      const removed = group.remove('stuck').then((report) => { settled = true; return report; });
      await vi.advanceTimersByTimeAsync(1999);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(await removed).toMatchObject({ outcome: 'stopped', stopTimedOut: true });
      await group.stop();
    });

    test('of a worker in a tree, and of a worker in backoff', async () => {
      const specs: WorkerSpec[] = Array.from({ length: 20 }, (_, index) => ({ name: `w${index}`, work: steady }));
      specs[17] = { name: 'w17', work: () => Promise.reject(new Error('down')) };
      const recorder = eventRecorder();
      const group = startGroup(specs, { ...quiet, onEvent: recorder.onEvent });
      await recorder.until((event) => event.type === 'worker.crashed' && event.name === 'w17');
      expect(await group.remove('w17')).toMatchObject({ outcome: 'stopped', attempts: 1, lastError: new Error('down') });
      expect(await group.remove('w3')).toMatchObject({ outcome: 'stopped', attempts: 1 });
      const report = await group.stop();
      expect(report.workers.map((worker) => worker.name)).toEqual(specs.map((spec) => spec.name).filter((name) => name !== 'w17' && name !== 'w3'));
    });

    test('rejects an unknown name with a RangeError and a stopped group with an Error', async () => {
      const group = startGroup([{ name: 'a', work: steady }], quiet);
      await expect(group.remove('nope')).rejects.toThrow(new RangeError("Expected `name` to be the name of a worker in the group, got 'nope'"));
      await expect(group.remove('')).rejects.toThrow(TypeError);
      await group.stop();
      await expect(group.remove('a')).rejects.toThrow("Cannot remove worker 'a' from the group: it has ended");
    });
  });

  describe('status()', () => {
    test('one entry per worker: state, attempts, restarts, last error, and when a worker in backoff starts again', async () => {
      const flaky = controllableWork();
      const recorder = eventRecorder();
      const group = startGroup(
        [
          { name: 'flaky', work: flaky.work, backoff: { initialMs: 4000 } },
          { name: 'steady', work: steady },
          { name: 'job', work: () => 'finished' },
        ],
        { ...quiet, onEvent: recorder.onEvent },
      );
      await recorder.until((event) => event.type === 'worker.exited' && event.name === 'job');
      const crash = new Error('upstream down');
      flaky.last().settle.reject(crash);
      await recorder.until((event) => event.type === 'worker.crashed');
      expect(group.status()).toEqual([
        { name: 'flaky', state: 'backoff', attempts: 1, restarts: 0, lastError: crash, nextAttemptAt: Date.now() + 4000 },
        { name: 'steady', state: 'running', attempts: 1, restarts: 0 },
        { name: 'job', state: 'done', attempts: 1, restarts: 0 },
      ]);
      await vi.advanceTimersByTimeAsync(4000);
      expect(group.status()[0]).toEqual({ name: 'flaky', state: 'running', attempts: 2, restarts: 1, lastError: crash });
      const stopping = group.stop();
      expect(group.status().map((entry) => entry.state)).toEqual(['stopping', 'stopping', 'done']);
      flaky.last().settle.resolve();
      await stopping;
      expect(group.status().map((entry) => entry.state)).toEqual(['stopped', 'stopped', 'done']);
    });

    test('reports failed workers, and a group stopped before it started', async () => {
      const group = startGroup([{ name: 'once', work: () => Promise.reject(new Error('x')), restart: 'never' }, { name: 's', work: steady }], quiet);
      await waitFor(group.actor, () => group.status()[0]?.state === 'failed');
      expect(group.status()[0]).toMatchObject({ name: 'once', state: 'failed', attempts: 1, lastError: new Error('x') });
      await group.stop();

      const controller = new AbortController();
      controller.abort();
      const work = vi.fn();
      const never = startGroup([{ name: 'a', work }], { ...quiet, signal: controller.signal });
      expect(never.status()).toEqual([{ name: 'a', state: 'stopped', attempts: 0, restarts: 0 }]);
      expect(await never.done).toMatchObject({ outcome: 'stopped' });
      expect(() => never.add({ name: 'b', work })).toThrow('it was stopped before it started');
      expect(work).not.toHaveBeenCalled();
    });
  });
});

describe('group machine ADD and REMOVE events, for embedders', () => {
  test('ADD spawns a worker with its name as systemId; REMOVE stops it and drops it from the report', async () => {
    const group = createActor(groupMachine, { input: { workers: [{ name: 'a', work: steady }] } }).start();
    group.send({ type: 'ADD', worker: { name: 'b', work: steady } });
    const b = group.system.get('b') as AnyActorRef;
    expect((b.getSnapshot() as { status: string }).status).toBe('active');
    group.send({ type: 'ADD', worker: { name: 'b', work: steady } }); // a name in use: ignored
    expect(group.system.get('b')).toBe(b);
    group.send({ type: 'REMOVE', name: 'b' });
    await waitFor(b, (snapshot: { status: string }) => snapshot.status === 'done');
    group.send({ type: 'STOP' });
    const done = await waitFor(group, (snapshot) => snapshot.status === 'done');
    expect(done.output?.workers.map((worker) => worker.name)).toEqual(['a']);
  });
});

describe('dynamic groups: any name, every phase', () => {
  test('any non-empty string is a worker name: each is supervised, listed once and stopped', async () => {
    const names = ['#_parent', '#_internal', '#_b', 'b', '__proto__', 'shard-0', 'constructor', '🦀 worker', 'w0', 'b0'];
    const signals = new Map<string, AbortSignal>();
    const group = startGroup(
      names.map((name) => ({ name, work: ({ signal }: { signal: AbortSignal }) => { signals.set(name, signal); return aborted(signal); } })),
      quiet,
    );
    group.add({ name: 'toString', work: steady });
    expect(group.status().map((entry) => [entry.name, entry.state])).toEqual([...names, 'toString'].map((name) => [name, 'running']));
    expect((group.actor.system.get('#_parent') as AnyActorRef).getSnapshot()).toMatchObject({ context: { name: '#_parent' } });
    const report = await group.stop();
    expect(report.workers.map((worker) => [worker.name, worker.outcome])).toEqual([...names, 'toString'].map((name) => [name, 'stopped']));
    expect([...signals.values()].every((signal) => signal.aborted)).toBe(true);
  });

  test('a name removed and added again is a new worker: shown, supervised and stopped as one', async () => {
    const first = controllableWork();
    const second = controllableWork();
    const group = startGroup([{ name: 'keep', work: steady }, { name: 'job', work: first.work }], quiet);
    const removing = group.remove('job');
    // Its old worker still stops: the name cannot be taken yet, and a second remove() rejects.
    expect(() => group.add({ name: 'job', work: second.work })).toThrow(
      "Cannot add worker 'job' to the group: the worker removed under that name is still stopping",
    );
    await expect(group.remove('job')).rejects.toThrow(RangeError);
    first.last().settle.resolve();
    expect(await removing).toMatchObject({ name: 'job', outcome: 'stopped', attempts: 1 });
    group.add({ name: 'job', work: second.work });
    expect(group.status().map((entry) => [entry.name, entry.state, entry.attempts])).toEqual([
      ['keep', 'running', 1],
      ['job', 'running', 1],
    ]);
    second.last().settle.reject(new Error('crash of the new one'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(second.attempts).toHaveLength(2);
    const stopping = group.stop();
    expect(second.last().context.signal.aborted).toBe(true);
    second.last().settle.resolve();
    const report = await stopping;
    expect(report.workers.map((worker) => [worker.name, worker.outcome, worker.attempts])).toEqual([
      ['keep', 'stopped', 1],
      ['job', 'stopped', 2],
    ]);
  });

  test('from onEvent on group.stopping: add() throws and remove() rejects; the stop takes that worker', async () => {
    const outcomes: string[] = [];
    const group = startGroup([{ name: 'a', work: steady }, { name: 'b', work: steady }], {
      ...quiet,
      onEvent: (event) => {
        if (event.type !== 'group.stopping') return;
        try {
          group.add({ name: 'late', work: steady });
          outcomes.push('added');
        } catch (error) {
          outcomes.push((error as Error).message);
        }
        group.remove('b').then(
          () => outcomes.push('removed'),
          (error: Error) => outcomes.push(error.message),
        );
      },
    });
    const report = await group.stop();
    expect(outcomes).toEqual([
      "Cannot add worker 'late' to the group: it is stopping",
      "Cannot remove worker 'b' from the group: it is stopping",
    ]);
    expect(report.workers.map((worker) => [worker.name, worker.outcome])).toEqual([['a', 'stopped'], ['b', 'stopped']]);
  });

  test('500 add/remove cycles leave no dead actor in the tree', async () => {
    const group = startGroup([], { ...quiet, autoShutdown: 'never' });
    for (let i = 0; i < 500; i++) {
      group.add({ name: `tenant-${i}`, work: i % 2 === 0 ? steady : () => undefined });
      await group.remove(`tenant-${i}`);
    }
    const actors: AnyActorRef[] = [];
    const visit = (ref: AnyActorRef) => {
      for (const child of Object.values((ref.getSnapshot() as { children: Record<string, AnyActorRef> }).children)) {
        actors.push(child);
        visit(child);
      }
    };
    visit(group.actor);
    // One idle branch is left; no worker, live or dead.
    expect(actors.map((actor) => actor.id)).toEqual(['b0']);
    expect(group.status()).toEqual([]);
    expect(await group.stop()).toEqual({ outcome: 'stopped', workers: [] });
  });
});

describe("autoShutdown: 'never' — a dynamic supervisor", () => {
  test('an empty group runs until stopped; add() starts workers; removing the last one does not end it', async () => {
    const group = startGroup([], { ...quiet, autoShutdown: 'never' });
    expect(group.actor.getSnapshot().value).toBe('running');
    const work = controllableWork();
    group.add({ name: 'a', work: work.work });
    expect(group.status().map((entry) => entry.name)).toEqual(['a']);
    const removing = group.remove('a');
    work.last().settle.resolve();
    await removing;
    expect(group.actor.getSnapshot().value).toBe('running');
    group.add({ name: 'b', work: () => 'finished at once' });
    await waitFor(group.actor, () => group.status()[0]?.state === 'done');
    expect(group.actor.getSnapshot().value).toBe('running'); // every worker done: still running
    expect(await group.stop()).toEqual({
      outcome: 'stopped',
      workers: [{ name: 'b', outcome: 'done', attempts: 1, restarts: 0, stopTimedOut: false }],
    });
  });

  test("'all-done' (the default) ends the group when remove() takes its last worker", async () => {
    const group = startGroup([{ name: 'a', work: steady }], quiet);
    await group.remove('a');
    expect(await group.done).toEqual({ outcome: 'done', workers: [] });
  });

  test('is validated before anything starts', () => {
    const work = vi.fn();
    expect(() => startGroup([{ name: 'a', work }], { ...quiet, autoShutdown: 'sometimes' as 'never' })).toThrow(
      "Expected `autoShutdown` to be one of 'all-done', 'never', got 'sometimes'",
    );
    expect(work).not.toHaveBeenCalled();
  });
});
