import { createActor, SimulatedClock, waitFor, type AnyActorRef, type StateValue } from 'xstate';
import { workerMachine, type WorkerInput } from '../machines/worker.js';
import type { SupervisorEvent, WorkContext } from '../machines/types.js';

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves once `signal` aborts (at once if it already has). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/**
 * Work whose every attempt the test settles by hand: `attempts[i]` is attempt i + 1,
 * with the context it got and a deferred the test resolves or rejects.
 */
export function controllableWork(): {
  work: (context: WorkContext) => Promise<void>;
  attempts: Array<{ context: WorkContext; settle: Deferred }>;
  last(): { context: WorkContext; settle: Deferred };
} {
  const attempts: Array<{ context: WorkContext; settle: Deferred }> = [];
  return {
    attempts,
    work: (context) => {
      const settle = deferred();
      attempts.push({ context, settle });
      return settle.promise;
    },
    last() {
      const attempt = attempts.at(-1);
      if (attempt === undefined) throw new Error('the work has not started');
      return attempt;
    },
  };
}

/** A worker actor on a simulated clock, recording its events. */
export function startWorker(input: Omit<WorkerInput, 'onEvent'>) {
  const clock = new SimulatedClock();
  const events: SupervisorEvent[] = [];
  const actor = createActor(workerMachine, { clock, input: { ...input, onEvent: (event) => events.push(event) } });
  actor.start();
  return { actor, clock, events };
}

/** Waits until the worker's state matches `state` (promise settlements are asynchronous). */
export function untilState(actor: AnyActorRef, state: StateValue) {
  return waitFor(actor, (snapshot: { matches(value: unknown): boolean }) => snapshot.matches(state));
}

/** Records supervision events; `until(match)` resolves once a matching event happened. */
export function eventRecorder() {
  const events: SupervisorEvent[] = [];
  const waiting: Array<{ match: (events: SupervisorEvent[]) => boolean; resolve: () => void }> = [];
  return {
    events,
    onEvent: (event: SupervisorEvent) => {
      events.push(event);
      for (const waiter of waiting.filter((w) => w.match(events))) {
        waiting.splice(waiting.indexOf(waiter), 1);
        waiter.resolve();
      }
    },
    /** Resolves once some recorded event matches (at once if one already has). */
    until: (match: (event: SupervisorEvent) => boolean): Promise<void> => {
      const some = (all: SupervisorEvent[]) => all.some(match);
      if (some(events)) return Promise.resolve();
      return new Promise((resolve) => waiting.push({ match: some, resolve }));
    },
    /** Resolves once `count` recorded events match. */
    untilCount: (match: (event: SupervisorEvent) => boolean, count: number): Promise<void> => {
      const enough = (all: SupervisorEvent[]) => all.filter(match).length >= count;
      if (enough(events)) return Promise.resolve();
      return new Promise((resolve) => waiting.push({ match: enough, resolve }));
    },
  };
}
