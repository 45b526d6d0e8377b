import { describe, expect, test } from 'vitest';
import { assign, createActor, fromPromise, setup, SimulatedClock, waitFor } from 'xstate';
import { groupMachine, workerMachine, type WorkerReport, type WorkInput } from '../src/index.js';
import { aborted, controllableWork } from './helpers.js';

describe('embedding the machines', () => {
  test('groupMachine: createActor + STOP reaches its final state with the report as output', async () => {
    const group = createActor(groupMachine, {
      input: { workers: [{ name: 'a', work: ({ signal }) => aborted(signal) }] },
    }).start();
    group.send({ type: 'STOP' });
    const snapshot = await waitFor(group, (s) => s.status === 'done');
    expect(snapshot.value).toBe('stopped');
    expect(snapshot.output).toEqual({
      outcome: 'stopped',
      workers: [{ name: 'a', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false }],
    });
  });

  test('a user machine invokes workerMachine and gets the report in onDone', async () => {
    const parent = setup({
      types: { context: {} as { report: WorkerReport | undefined } },
      actors: { worker: workerMachine },
    }).createMachine({
      context: { report: undefined },
      initial: 'working',
      states: {
        working: {
          invoke: {
            src: 'worker',
            input: { name: 'job', work: () => 'finished' },
            onDone: { target: 'finished', actions: assign({ report: ({ event }) => event.output }) },
          },
        },
        finished: { type: 'final' },
      },
    });
    const actor = createActor(parent).start();
    const snapshot = await waitFor(actor, (s) => s.status === 'done');
    expect(snapshot.context.report).toEqual({ name: 'job', outcome: 'done', attempts: 1, restarts: 0, stopTimedOut: false });
  });

  test('a user machine forwards its STOP to an invoked worker and waits for the report', async () => {
    const work = controllableWork();
    const parent = setup({ actors: { worker: workerMachine } }).createMachine({
      initial: 'working',
      states: {
        working: {
          invoke: { id: 'job', src: 'worker', input: { name: 'job', work: work.work }, onDone: 'finished' },
          on: { SHUTDOWN: { actions: ({ self }) => self.getSnapshot().children.job?.send({ type: 'STOP' }) } },
        },
        finished: { type: 'final' },
      },
    });
    const actor = createActor(parent).start();
    actor.send({ type: 'SHUTDOWN' });
    expect(work.last().context.signal.aborted).toBe(true);
    expect(actor.getSnapshot().value).toBe('working');
    work.last().settle.resolve();
    await waitFor(actor, (s) => s.status === 'done');
  });

  test('work and delays can be overridden with .provide()', async () => {
    const clock = new SimulatedClock();
    const calls: number[] = [];
    const custom = workerMachine.provide({
      actors: {
        work: fromPromise<unknown, WorkInput>(({ input }) => {
          calls.push(input.attempt);
          return input.attempt < 3 ? Promise.reject(new Error('no')) : Promise.resolve();
        }),
      },
      delays: { backoff: 5 },
    });
    const actor = createActor(custom, { clock, input: { name: 'w', work: () => { throw new Error('replaced'); } } }).start();
    await waitFor(actor, (s) => s.matches('backoff'));
    clock.increment(4);
    expect(calls).toEqual([1]);
    clock.increment(1);
    await waitFor(actor, (s) => s.matches('backoff') && s.context.attempts === 2);
    clock.increment(5);
    const snapshot = await waitFor(actor, (s) => s.status === 'done');
    expect(calls).toEqual([1, 2, 3]);
    expect(snapshot.output).toMatchObject({ outcome: 'done', attempts: 3 });
  });

  test('the group machine can be spawned inside a user system', async () => {
    const app = setup({ actors: { workers: groupMachine } }).createMachine({
      initial: 'serving',
      states: {
        serving: {
          invoke: {
            id: 'workers',
            src: 'workers',
            input: { workers: [{ name: 'one-shot', work: () => undefined }] },
            onDone: 'idle',
          },
        },
        idle: { type: 'final' },
      },
    });
    const actor = createActor(app).start();
    await waitFor(actor, (s) => s.status === 'done');
    expect(actor.getSnapshot().value).toBe('idle');
  });
});
