import { describe, expect, test } from 'vitest';
import { createActor, enqueueActions, fromPromise, SimulatedClock, waitFor, type ActorRefFrom, type AnyActorRef } from 'xstate';
import { branchMachine } from '../machines/branch.js';
import { groupMachine } from '../machines/group.js';
import { workerMachine } from '../machines/worker.js';
import type { SupervisorEvent, WorkerSpec } from '../machines/types.js';
import { aborted, controllableWork, eventRecorder } from './helpers.js';

function startGroup(workers: WorkerSpec[]) {
  const clock = new SimulatedClock();
  const events: SupervisorEvent[] = [];
  const actor = createActor(groupMachine, { clock, input: { workers, onEvent: (event) => events.push(event) } });
  actor.start();
  return { actor, clock, events };
}

/** The worker actor registered under `name` (system.get is untyped). */
type WorkerRef = ActorRefFrom<typeof workerMachine>;
const workerRef = (actor: AnyActorRef, name: string): WorkerRef => actor.system.get(name) as WorkerRef;

const finished = (actor: ReturnType<typeof startGroup>['actor']) =>
  waitFor(actor, (snapshot) => snapshot.status === 'done');

describe('group', () => {
  test('an empty group is done at once', () => {
    const { actor, events } = startGroup([]);
    expect(actor.getSnapshot().status).toBe('done');
    expect(actor.getSnapshot().output).toEqual({ outcome: 'done', workers: [] });
    expect(events).toEqual([{ type: 'group.stopped', outcome: 'done', workers: 0 }]);
  });

  test('spawns one worker actor per spec under an id of its own, with systemId = name', () => {
    const a = controllableWork();
    const b = controllableWork();
    const { actor } = startGroup([{ name: 'a', work: a.work }, { name: 'b', work: b.work }]);
    // The root hosts only branches; a worker's id is its slot, its name is data.
    expect(Object.keys(actor.getSnapshot().children)).toEqual(['b0']);
    expect([workerRef(actor, 'a').id, workerRef(actor, 'b').id]).toEqual(['w0', 'w1']);
    expect(workerRef(actor, 'b').getSnapshot().context.name).toBe('b');
    actor.stop();
  });

  test('a crashing worker never disturbs its sibling', async () => {
    const steady = controllableWork();
    const { actor, clock } = startGroup([
      { name: 'steady', work: steady.work },
      { name: 'flaky', work: () => Promise.reject(new Error('boom')), backoff: { initialMs: 10 } },
    ]);
    const flaky = workerRef(actor, 'flaky');
    for (let crash = 1; crash <= 5; crash++) {
      await waitFor(flaky, (snapshot) => snapshot.matches('backoff') && snapshot.context.attempts === crash);
      clock.increment(flaky.getSnapshot().context.delayMs);
    }
    expect(actor.getSnapshot().status).toBe('active');
    expect(steady.attempts).toHaveLength(1);
    expect(steady.last().context.signal.aborted).toBe(false);
    expect(workerRef(actor, 'steady').getSnapshot().value).toEqual({ attempt: { running: 'warm' } });
    actor.stop();
  });

  test('is done, not stopped, once every worker returned on its own', async () => {
    const a = controllableWork();
    const b = controllableWork();
    const { actor, events } = startGroup([{ name: 'a', work: a.work }, { name: 'b', work: b.work }]);
    b.last().settle.resolve();
    await waitFor(workerRef(actor, 'b'), (snapshot) => snapshot.status === 'done');
    expect(actor.getSnapshot().status).toBe('active');
    a.last().settle.resolve();
    await finished(actor);
    expect(actor.getSnapshot().output).toEqual({
      outcome: 'done',
      workers: [
        { name: 'a', outcome: 'done', attempts: 1, restarts: 0, stopTimedOut: false },
        { name: 'b', outcome: 'done', attempts: 1, restarts: 0, stopTimedOut: false },
      ],
    });
    expect(events.at(-1)).toEqual({ type: 'group.stopped', outcome: 'done', workers: 2 });
  });

  test('STOP aborts every worker and is final only once all of them settled', async () => {
    const a = controllableWork();
    const b = controllableWork();
    const { actor, events } = startGroup([{ name: 'a', work: a.work }, { name: 'b', work: b.work }]);
    actor.send({ type: 'STOP' });
    expect(a.last().context.signal.aborted).toBe(true);
    expect(b.last().context.signal.aborted).toBe(true);
    expect(actor.getSnapshot().value).toBe('stopping');
    a.last().settle.resolve();
    await waitFor(workerRef(actor, 'a'), (snapshot) => snapshot.status === 'done');
    expect(actor.getSnapshot().status).toBe('active');
    b.last().settle.resolve();
    await finished(actor);
    expect(actor.getSnapshot().output).toEqual({
      outcome: 'stopped',
      workers: [
        { name: 'a', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false },
        { name: 'b', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false },
      ],
    });
    expect(events.filter((event) => event.type.startsWith('group.'))).toEqual([
      { type: 'group.stopping', workers: 2 },
      { type: 'group.stopped', outcome: 'stopped', workers: 2 },
    ]);
  });

  test('STOP reaches workers in backoff and those already done keep their report', async () => {
    const done = controllableWork();
    const { actor } = startGroup([
      { name: 'done', work: done.work },
      { name: 'crashed', work: () => Promise.reject(new Error('x')) },
    ]);
    done.last().settle.resolve();
    await waitFor(workerRef(actor, 'crashed'), (snapshot) => snapshot.matches('backoff'));
    await waitFor(actor, (snapshot) => snapshot.context.live === 1);
    expect(workerRef(actor, 'done')).toBeUndefined(); // its actor is dropped, its report kept
    actor.send({ type: 'STOP' });
    await finished(actor);
    expect(actor.getSnapshot().output?.workers.map((report) => [report.name, report.outcome])).toEqual([
      ['done', 'done'],
      ['crashed', 'stopped'],
    ]);
  });

  test('a worker actor that itself errors is reported failed; the group and its siblings go on', async () => {
    const steady = controllableWork();
    const broken = groupMachine.provide({
      actors: {
        worker: workerMachine.provide({
          actors: {
            work: fromPromise(({ input }) =>
              input.name === 'broken' ? Promise.reject(new Error('never reached')) : steady.work({
                signal: input.controller.signal, name: input.name, attempt: input.attempt,
              }),
            ),
          },
          actions: {
            reportCrashed: () => {
              throw new Error('fault inside the worker actor');
            },
          },
        }),
      },
    });
    const actor = createActor(broken, {
      input: { workers: [{ name: 'steady', work: () => undefined }, { name: 'broken', work: () => undefined }] },
    }).start();
    await waitFor(actor, (snapshot) => snapshot.context.live === 1);
    expect(actor.getSnapshot().status).toBe('active');
    expect(steady.last().context.signal.aborted).toBe(false);
    actor.send({ type: 'STOP' });
    steady.last().settle.resolve();
    await waitFor(actor, (snapshot) => snapshot.status === 'done');
    const [steadyReport, brokenReport] = actor.getSnapshot().output?.workers ?? [];
    expect(steadyReport).toMatchObject({ name: 'steady', outcome: 'stopped' });
    expect(brokenReport).toMatchObject({ name: 'broken', outcome: 'failed' });
    expect((brokenReport?.lastError as Error).message).toMatch('fault inside the worker actor');
  });

  test('reports workers in the order of the specs, whatever order they finish in', async () => {
    const works = ['c', 'a', 'b'].map((name) => ({ name, control: controllableWork() }));
    const { actor } = startGroup(works.map(({ name, control }) => ({ name, work: control.work })));
    for (const index of [2, 0, 1]) works[index]?.control.last().settle.resolve();
    await finished(actor);
    expect(actor.getSnapshot().output?.workers.map((report) => report.name)).toEqual(['c', 'a', 'b']);
  });
});

describe('group: a tree of bounded fan-out', () => {
  function startTree(workers: WorkerSpec[], fanOut: number) {
    const clock = new SimulatedClock();
    const recorder = eventRecorder();
    const actor = createActor(groupMachine, { clock, input: { workers, fanOut, onEvent: recorder.onEvent } });
    actor.start();
    return { actor, clock, ...recorder };
  }
  const names = Array.from({ length: 23 }, (_, i) => `w${i}`);

  test('hosts at most fanOut children per group actor, every worker by its systemId', () => {
    const works = names.map(() => controllableWork());
    const { actor } = startTree(names.map((name, i) => ({ name, work: works[i]!.work })), 4);
    const fanOuts: number[] = [];
    const visit = (ref: AnyActorRef) => {
      const children = Object.values((ref.getSnapshot() as { children: Record<string, AnyActorRef> }).children);
      fanOuts.push(children.length);
      children.filter((child) => child.id.startsWith('b')).forEach(visit);
    };
    visit(actor);
    expect(Math.max(...fanOuts)).toBeLessThanOrEqual(4);
    expect(fanOuts.length).toBeGreaterThan(4); // a tree, not one level
    for (const name of names) expect(workerRef(actor, name).getSnapshot().context.name).toBe(name);
    actor.stop();
  });

  test('reports every worker in spec order, and group events once, from the root', async () => {
    const { actor, events } = startTree(names.map((name) => ({ name, work: () => undefined })), 4);
    await finished(actor);
    expect(actor.getSnapshot().output?.workers.map((report) => report.name)).toEqual(names);
    expect(events.filter((event) => event.type.startsWith('group.'))).toEqual([
      { type: 'group.stopped', outcome: 'done', workers: 23 },
    ]);
  });

  test('a crash in one branch never reaches another branch', async () => {
    const steady = names.map(() => controllableWork());
    const specs: WorkerSpec[] = names.map((name, i) => ({ name, work: steady[i]!.work }));
    specs[0] = { name: 'w0', work: () => Promise.reject(new Error('boom')) };
    const { actor, clock } = startTree(specs, 4);
    for (let crash = 1; crash <= 3; crash++) {
      await waitFor(workerRef(actor, 'w0'), (s) => s.matches('backoff') && s.context.attempts === crash);
      clock.increment(workerRef(actor, 'w0').getSnapshot().context.delayMs);
    }
    for (const work of steady.slice(1)) {
      expect(work.attempts).toHaveLength(1);
      expect(work.last().context.signal.aborted).toBe(false);
    }
    actor.stop();
  });

  test('STOP reaches every worker; each stop timeout is enforced from the root', async () => {
    // Half the workers never settle: 1 s and 3 s stop timeouts.
    const specs: WorkerSpec[] = names.map((name, i) => ({
      name,
      work: i % 2 === 0 ? ({ signal }) => aborted(signal) : () => new Promise(() => {}),
      stopTimeoutMs: i % 4 === 1 ? 1000 : 3000,
    }));
    const { actor, clock, untilCount } = startTree(specs, 4);
    actor.send({ type: 'STOP' });
    // The 12 workers that settle on abort do so asynchronously; wait for their events.
    await untilCount((event) => event.type === 'worker.stopped', 12);
    clock.increment(999);
    expect(actor.getSnapshot().status).toBe('active');
    clock.increment(1);
    clock.increment(1999);
    expect(actor.getSnapshot().status).toBe('active');
    clock.increment(1);
    const snapshot = await finished(actor);
    expect(snapshot.output?.workers.map((report) => [report.name, report.stopTimedOut])).toEqual(
      names.map((name, i) => [name, i % 2 === 1]),
    );
  });

  test('.provide() reaches the inner groups', async () => {
    const seen: string[] = [];
    const provided = groupMachine.provide({
      actors: {
        worker: workerMachine.provide({
          actors: { work: fromPromise(({ input }) => { seen.push(input.name); return Promise.resolve(); }) },
        }),
      },
    });
    const actor = createActor(provided, { input: { workers: names.map((name) => ({ name, work: () => { throw new Error('not provided'); } })), fanOut: 3 } }).start();
    await waitFor(actor, (s) => s.status === 'done');
    expect(seen.sort()).toEqual([...names].sort());
    expect(actor.getSnapshot().output?.workers.every((report) => report.outcome === 'done')).toBe(true);
  });

  test('a branch that breaks has its unfinished workers reported failed and stopped; the rest go on', async () => {
    // A fault of the package itself, injected: the branch holding w0 throws on STOP.
    const provided = groupMachine.provide({
      actors: {
        branch: branchMachine.provide({
          actions: {
            forwardStop: enqueueActions(({ context, enqueue }) => {
              if (context.slots.some((slot) => slot?.kind === 'worker' && slot.name === 'w0')) throw new Error('branch fault');
              context.slots.forEach((slot, i) => {
                if (slot !== undefined) enqueue.sendTo(`${slot.kind === 'branch' ? 'b' : 'w'}${i}`, { type: 'STOP' });
              });
            }),
          },
        }),
      },
    });
    const works = names.slice(0, 4).map(() => controllableWork());
    const actor = createActor(provided, { input: { workers: names.slice(0, 4).map((name, i) => ({ name, work: works[i]!.work })), fanOut: 2 } }).start();
    actor.send({ type: 'STOP' });
    // w0 and w1 shared the broken branch: their actors were stopped, which aborts their work.
    expect(works.map((work) => work.last().context.signal.aborted)).toEqual([true, true, true, true]);
    works[2]!.last().settle.resolve();
    works[3]!.last().settle.resolve();
    const snapshot = await waitFor(actor, (s) => s.status === 'done');
    expect(snapshot.output?.workers.map((report) => [report.name, report.outcome])).toEqual([
      ['w0', 'failed'], ['w1', 'failed'], ['w2', 'stopped'], ['w3', 'stopped'],
    ]);
    expect((snapshot.output?.workers[0]?.lastError as Error).message).toContain('branch fault');
  });

});

describe('group: names, ids and inputs', () => {
  test('ADD ignores a name whose worker finished deep in the tree; the report lists it once', async () => {
    const specs: WorkerSpec[] = names40().map((name) => ({ name, work: name === 'w33' ? () => undefined : ({ signal }) => aborted(signal) }));
    const { actor } = startGroup(specs);
    await waitFor(actor, (snapshot) => snapshot.context.live === 39);
    actor.send({ type: 'ADD', worker: { name: 'w33', work: ({ signal }) => aborted(signal) } });
    actor.send({ type: 'STOP' });
    const done = await finished(actor);
    expect(done.output?.workers.filter((report) => report.name === 'w33')).toEqual([
      { name: 'w33', outcome: 'done', attempts: 1, restarts: 0, stopTimedOut: false },
    ]);
    expect(done.output?.workers).toHaveLength(40);
  });

  test('fanOut is validated: 1 (no tree can hold it) is a RangeError, not every worker failed', () => {
    const errors: unknown[] = [];
    const actor = createActor(groupMachine, { input: { workers: [{ name: 'a', work: () => undefined }], fanOut: 1 } });
    actor.subscribe({ error: (error) => errors.push(error) });
    actor.start();
    expect(errors).toEqual([new RangeError('Expected `fanOut` to be an integer from 2 to 256, got 1')]);
  });

  test('events of the tree use a bounded set of types however many names come and go', async () => {
    const types = new Set<string>();
    const actor = createActor(groupMachine, {
      input: { workers: [], autoShutdown: 'never', fanOut: 2 },
      inspect: (event) => {
        if (event.type === '@xstate.event') types.add(event.event.type);
      },
    }).start();
    for (let i = 0; i < 200; i++) {
      actor.send({ type: 'ADD', worker: { name: `tenant-${i}`, work: () => undefined } });
      actor.send({ type: 'REMOVE', name: `tenant-${i}` });
    }
    await waitFor(actor, (snapshot) => snapshot.context.live === 0 && snapshot.context.workers === 0);
    expect([...types].filter((type) => type.includes('tenant'))).toEqual([]);
    expect(types.size).toBeLessThan(20);
    actor.stop();
  });
});

function names40(): string[] {
  return Array.from({ length: 40 }, (_, i) => `w${i}`);
}
