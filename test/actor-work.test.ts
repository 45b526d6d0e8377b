// Actor logic as work: a machine, fromPromise, fromCallback, fromObservable supervised the
// way a work function is. On a simulated clock; settlements are awaited as events.
import { describe, expect, test } from 'vitest';
import {
  createActor,
  fromCallback,
  fromObservable,
  fromPromise,
  setup,
  SimulatedClock,
  type AnyActorLogic,
  type AnyActorRef,
  type InspectionEvent,
} from 'xstate';
import { FatalError } from '../machines/fatal.js';
import type { SupervisorEvent } from '../machines/types.js';
import { workerMachine, type WorkerInput } from '../machines/worker.js';
import { runGroup, supervise } from '../src/index.js';
import { deferred, untilState } from './helpers.js';

type JobInput = { name: string; attempt: number; signal: AbortSignal };

/** A machine that runs until FINISH or CRASH; if `graceful`, STOP takes it through cleaningUp. */
function jobMachine(options: { graceful: boolean; log: string[] }) {
  return setup({ types: { input: {} as JobInput } }).createMachine({
    context: ({ input }) => ({ attempt: input.attempt, name: input.name, signalAborted: input.signal.aborted }),
    initial: 'working',
    states: {
      working: {
        entry: ({ context }) => options.log.push(`start ${context.name}#${context.attempt}`),
        on: {
          FINISH: 'finished',
          CRASH: { actions: () => { throw new Error('machine crash'); } },
          FATAL: { actions: () => { throw new FatalError('machine fatal'); } },
          ...(options.graceful ? { STOP: 'cleaningUp' } : {}),
        },
      },
      cleaningUp: {
        entry: () => options.log.push('cleaning up'),
        on: { CLEANED: 'finished' },
      },
      finished: { type: 'final' },
    },
  });
}

/** What the tests read of a logic actor. */
type LogicRef = {
  send(event: { type: string }): void;
  getSnapshot(): { context?: unknown; value?: unknown; status: string };
};

/** A worker on a simulated clock, inspected so that the test can reach the logic actor. */
function startLogicWorker(work: AnyActorLogic, options: Partial<WorkerInput> = {}) {
  const clock = new SimulatedClock();
  const events: SupervisorEvent[] = [];
  const inspection: InspectionEvent[] = [];
  const actor = createActor(workerMachine, {
    clock,
    input: { name: 'job', work, backoff: { initialMs: 100 }, ...options, onEvent: (event) => events.push(event) },
    inspect: (event) => inspection.push(event),
  });
  actor.start();
  /** The current attempt's logic actor: the child of the worker's `work` promise actor. */
  const logic = (): LogicRef => {
    const started = inspection.filter(
      (event) => event.type === '@xstate.actor' && (event.actorRef as { _parent?: AnyActorRef })._parent?.id === 'work',
    );
    const last = started.at(-1);
    if (last === undefined) throw new Error('no logic actor has started');
    return last.actorRef;
  };
  return { actor, clock, events, logic };
}

describe('actor logic as work', () => {
  test('a machine reaching its final state is a clean return; its input is name, attempt and signal', async () => {
    const log: string[] = [];
    const { actor, logic } = startLogicWorker(jobMachine({ graceful: false, log }));
    expect(logic().getSnapshot().context).toEqual({ attempt: 1, name: 'job', signalAborted: false });
    logic().send({ type: 'FINISH' });
    await untilState(actor, 'done');
    expect(actor.getSnapshot().output).toEqual({ name: 'job', outcome: 'done', attempts: 1, restarts: 0, stopTimedOut: false });
    expect(log).toEqual(['start job#1']);
  });

  test('a machine error is a crash: restarted after the backoff with the next attempt', async () => {
    const log: string[] = [];
    const { actor, clock, events, logic } = startLogicWorker(jobMachine({ graceful: false, log }));
    logic().send({ type: 'CRASH' });
    await untilState(actor, 'backoff');
    const crash = events.find((event) => event.type === 'worker.crashed');
    expect(crash?.type === 'worker.crashed' && (crash.error as Error).message).toBe('machine crash');
    clock.increment(99);
    expect(log).toEqual(['start job#1']);
    clock.increment(1);
    expect(log).toEqual(['start job#1', 'start job#2']);
    logic().send({ type: 'FINISH' });
    await untilState(actor, 'done');
    expect(actor.getSnapshot().output).toMatchObject({ outcome: 'done', attempts: 2, lastError: expect.any(Error) as unknown });
  });

  test('a FatalError thrown by a machine is never restarted', async () => {
    const { actor, logic } = startLogicWorker(jobMachine({ graceful: false, log: [] }));
    logic().send({ type: 'FATAL' });
    await untilState(actor, 'failed');
    expect(actor.getSnapshot().output?.lastError).toBeInstanceOf(FatalError);
  });

  test('STOP goes to a machine that handles it, and the worker waits for its final state', async () => {
    const log: string[] = [];
    const { actor, logic } = startLogicWorker(jobMachine({ graceful: true, log }), { stopTimeoutMs: 1000 });
    const job = logic();
    actor.send({ type: 'STOP' });
    expect(actor.getSnapshot().matches({ attempt: 'stopping' })).toBe(true);
    expect(job.getSnapshot().value).toBe('cleaningUp');
    job.send({ type: 'CLEANED' });
    await untilState(actor, 'stopped');
    expect(actor.getSnapshot().output).toEqual({ name: 'job', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false });
    expect(log).toEqual(['start job#1', 'cleaning up']);
  });

  test('a machine that does not reach its final state within stopTimeoutMs is stopped, stopTimedOut', () => {
    const { actor, clock, logic } = startLogicWorker(jobMachine({ graceful: true, log: [] }), { stopTimeoutMs: 1000 });
    const job = logic();
    actor.send({ type: 'STOP' });
    clock.increment(999);
    expect(actor.getSnapshot().matches({ attempt: 'stopping' })).toBe(true);
    clock.increment(1);
    expect(actor.getSnapshot().output).toMatchObject({ outcome: 'stopped', stopTimedOut: true });
    expect(job.getSnapshot().status).toBe('stopped');
  });

  test('a machine without a STOP transition is stopped at once', async () => {
    const { actor, logic } = startLogicWorker(jobMachine({ graceful: false, log: [] }));
    const job = logic();
    actor.send({ type: 'STOP' });
    await untilState(actor, 'stopped');
    expect(job.getSnapshot().status).toBe('stopped');
    expect(actor.getSnapshot().output?.stopTimedOut).toBe(false);
  });

  test('fromPromise: resolving is a clean return, rejecting a crash; its signal aborts on STOP', async () => {
    const settle = [deferred<string>(), deferred<string>()];
    const signals: AbortSignal[] = [];
    let attempt = 0;
    const logic = fromPromise<string, JobInput>(({ signal }) => {
      signals.push(signal);
      return settle[attempt++]!.promise;
    });
    const { actor, clock } = startLogicWorker(logic);
    settle[0]!.reject(new Error('rejected'));
    await untilState(actor, 'backoff');
    clock.increment(100);
    actor.send({ type: 'STOP' });
    await untilState(actor, 'stopped');
    // XState aborts a promise logic's own signal when it is stopped, not when it settles.
    expect(signals.map((signal) => signal.aborted)).toEqual([false, true]);
    expect(actor.getSnapshot().output).toMatchObject({ outcome: 'stopped', attempts: 2 });
  });

  test('fromCallback: runs until STOP, which stops it at once and runs its cleanup', async () => {
    const log: string[] = [];
    const logic = fromCallback<{ type: string }, JobInput>(({ input }) => {
      log.push(`listen #${input.attempt}`);
      return () => log.push('cleanup');
    });
    const { actor } = startLogicWorker(logic);
    expect(log).toEqual(['listen #1']);
    actor.send({ type: 'STOP' });
    await untilState(actor, 'stopped');
    expect(log).toEqual(['listen #1', 'cleanup']);
  });

  test('stopping the worker actor from outside stops even a machine that handles STOP at once', () => {
    const log: string[] = [];
    const { actor, logic } = startLogicWorker(jobMachine({ graceful: true, log }));
    const job = logic();
    actor.stop(); // no STOP event: the worker is gone, so nothing would wait for a cleanup
    expect(job.getSnapshot().status).toBe('stopped');
    expect(log).toEqual(['start job#1']);
  });

  test('fromObservable: completing is a clean return, an error a crash', async () => {
    const observers: Array<{ error: (error: unknown) => void; complete: () => void }> = [];
    const logic = fromObservable<number, JobInput>(() => ({
      subscribe: (observer) => {
        observers.push(observer as (typeof observers)[number]);
        return { unsubscribe: () => undefined };
      },
    }));
    const { actor, clock } = startLogicWorker(logic);
    observers[0]!.error(new Error('stream broke'));
    await untilState(actor, 'backoff');
    clock.increment(100);
    observers[1]!.complete();
    await untilState(actor, 'done');
    expect(actor.getSnapshot().output).toMatchObject({ outcome: 'done', attempts: 2 });
  });

  test('runGroup and supervise take actor logic too', async () => {
    const controller = new AbortController();
    const report = runGroup(
      [
        { name: 'machine', work: jobMachine({ graceful: false, log: [] }) },
        { name: 'promise', work: fromPromise(() => Promise.resolve('ok')) },
      ],
      { signal: controller.signal, installSignals: false, logger: false },
    );
    const single = supervise('once', fromPromise(() => Promise.resolve('ok')), { logger: false });
    expect(await single).toMatchObject({ outcome: 'done', attempts: 1 });
    controller.abort();
    expect((await report).workers.map((worker) => [worker.name, worker.outcome])).toEqual([
      ['machine', 'stopped'],
      ['promise', 'done'],
    ]);
  });
});
