import { describe, expect, test } from 'vitest';
import { createActor, fromPromise, SimulatedClock, waitFor, type ActorRefFrom, type AnyActorRef } from 'xstate';
import { groupMachine } from '../machines/group.js';
import { workerMachine } from '../machines/worker.js';
import type { SupervisorEvent, WorkerSpec } from '../machines/types.js';
import { controllableWork } from './helpers.js';

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

  test('spawns one worker actor per spec, with id and systemId = name', () => {
    const a = controllableWork();
    const b = controllableWork();
    const { actor } = startGroup([{ name: 'a', work: a.work }, { name: 'b', work: b.work }]);
    expect(Object.keys(actor.getSnapshot().children).sort()).toEqual(['a', 'b']);
    expect(workerRef(actor, 'a')).toBe(actor.getSnapshot().children.a);
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
    expect(workerRef(actor, 'steady').getSnapshot().value).toEqual({ attempt: 'running' });
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
