/**
 * The attempt runner: how one attempt of work runs as a promise actor, how it is aborted
 * and how its settlement is classified. The worker machine (`worker.ts`) invokes it.
 */
import { createActor, type AnyActorLogic, type AnyActorRef, type PromiseActorLogic, type PromiseSnapshot } from 'xstate';
import { shareOptionsShape } from './actor-options.js';
import { isAbort } from './thrown.js';
import type { WorkContext, WorkerSpec } from './types.js';

/**
 * The abort reason of a STOP: an `AbortError`, as `abort()` would make, but one for all
 * workers. Building a DOMException captures a stack; a group of N stopping workers paid
 * for N of them.
 */
export const stopReason = new DOMException('The worker was asked to stop', 'AbortError');
/** The abort reason once an attempt is over (it crashed, returned or was cut off). */
export const endReason = new DOMException('The attempt has ended', 'AbortError');

/** The ready event an attempt sends its worker: `attempt` tells a late one from the current. */
export interface ReadyEvent {
  type: 'supervisor.ready';
  attempt: number;
}

/**
 * Work that can still be killed after its signal aborted (a thread, a child process)
 * registers here, by its attempt's signal (all a `Work` sees of its attempt), to hear that
 * the attempt was abandoned: its work actor was stopped before the work settled, because
 * the stop timeout passed (after STOP or a hang) or the worker or its group was stopped
 * from outside. Nobody waits for that work any more: the listener ends it for good.
 */
const abandonListeners = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `listener` once if the attempt whose signal this is gets abandoned (see above).
 * Returns the function that removes it again: call it when the work settled.
 * @internal
 */
export function onAbandoned(signal: AbortSignal, listener: () => void): () => void {
  let listeners = abandonListeners.get(signal);
  if (listeners === undefined) abandonListeners.set(signal, (listeners = new Set()));
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * One attempt: what the invoked `work` actor receives, and the attempt's own record of
 * heartbeats, readiness and progress, written in place by its `heartbeat()` and `ready()`
 * and read by the worker's watchdog when it fires (no event, no timer). One object per
 * attempt: a late call of an attempt that was abandoned writes to its own record, which
 * the worker no longer reads. `progress` carries over to the next attempt's record.
 */
export interface WorkInput {
  work: WorkerSpec['work'];
  name: string;
  attempt: number;
  /** The attempt's signal: aborted by the worker on STOP, and by the work actor when it is stopped from outside. */
  controller: AbortController;
  /** The worker's time source, for heartbeat timestamps. */
  now: () => number;
  /** Receives `ready()` (the worker). */
  worker: { send(event: ReadyEvent): void };
  /**
   * When the attempt started (by the worker's `now`), for the watchdog, the only reader. A
   * worker's first record is made with its context, before the actor starts: NaN until the
   * watchdog arms on the attempt's entry and stamps it.
   */
  startedAt: number;
  /** When it last called `heartbeat()`, if it did. */
  lastHeartbeatAt: number | undefined;
  /** It called `ready()`. */
  ready: boolean;
  /** The last progress passed to `heartbeat()` by this attempt or an earlier one. */
  progress: unknown;
}

/** The events of a promise actor, named as XState's `fromPromise` names them (the inspector shows these). */
const resolved = 'xstate.promise.resolve';
const rejected = 'xstate.promise.reject';

/** Reports the work's settlement to its actor, unless the actor was stopped meanwhile. */
function settle(self: AnyActorRef, type: typeof resolved | typeof rejected, data: unknown): void {
  if ((self.getSnapshot() as { status: string }).status === 'active') self.send({ type, data });
}

/** For actor-logic work: what to do when the attempt's actor is stopped from outside. */
const onActorStopped = new WeakMap<AnyActorRef, () => void>();

/**
 * Runs the work once: a promise actor, as `fromPromise` makes, with one difference: its
 * abort signal is the worker's own `input.controller`, not a second controller of its own.
 * XState's `fromPromise` aborts its own signal when the actor is stopped, which the worker
 * cannot do on STOP without stopping the actor (and XState never waits for the promise), so
 * a `fromPromise` here needed two controllers and a listener linking them per attempt (the
 * second one cost about 1.9 KB of a worker's 8.6 KB of heap). Here the worker aborts the controller on
 * STOP and keeps the actor alive until the promise settles; stopping the actor from outside
 * (its worker or group stopped) aborts the same controller.
 */
export const workLogic: PromiseActorLogic<unknown, WorkInput> = {
  getInitialSnapshot: ({ self }, input) => {
    shareOptionsShape(self);
    return { status: 'active', output: undefined, error: undefined, input };
  },
  start: (snapshot, { self }) => {
    if (snapshot.status !== 'active' || snapshot.input === undefined) return;
    let result: unknown;
    try {
      result = startWork(snapshot.input, self);
    } catch (error) {
      // A synchronous throw settles a microtask later, as a rejection would: without a
      // rejected promise, which Node tracks as unhandled until its handler is attached.
      queueMicrotask(() => settle(self, rejected, error));
      return;
    }
    Promise.resolve(result).then(
      (output) => settle(self, resolved, output),
      (error) => settle(self, rejected, error),
    );
  },
  transition: (snapshot, event, { self }) => {
    if (snapshot.status !== 'active') return snapshot;
    switch (event.type) {
      case resolved:
        return { ...snapshot, status: 'done', output: event.data, input: undefined };
      case rejected:
        return { ...snapshot, status: 'error', error: event.data, input: undefined };
      case 'xstate.stop': {
        onActorStopped.get(self)?.();
        snapshot.input?.controller.abort(endReason);
        const abandoned = snapshot.input === undefined ? undefined : abandonListeners.get(snapshot.input.controller.signal);
        if (abandoned !== undefined) for (const listener of abandoned) listener();
        return { ...snapshot, status: 'stopped', input: undefined };
      }
      default:
        return snapshot;
    }
  },
  getPersistedSnapshot: (snapshot) => snapshot,
  restoreSnapshot: (snapshot) => snapshot as PromiseSnapshot<unknown, WorkInput>,
};

/**
 * The context an attempt's work gets. `heartbeat()` only writes a timestamp (and the
 * progress) into the attempt's record: it is called in hot loops, so it sends no event,
 * starts no timer and allocates nothing; the worker's one watchdog timer reads the record
 * when it fires. `ready()` is called once per attempt and sends the one event that moves
 * the worker out of `attempt.starting`.
 */
function workContext(input: WorkInput): WorkContext {
  return {
    signal: input.controller.signal,
    name: input.name,
    attempt: input.attempt,
    progress: input.progress,
    heartbeat(progress?: unknown) {
      input.lastHeartbeatAt = input.now();
      if (progress !== undefined) input.progress = progress;
    },
    ready() {
      if (input.ready) return;
      input.ready = true;
      input.worker.send({ type: 'supervisor.ready', attempt: input.attempt });
    },
  };
}

/**
 * Calls the work (or starts its actor logic) with the attempt's context: its result, or a
 * promise of it. Any thrown value is a crash and is reported as it was thrown, Error or not.
 */
function startWork(input: WorkInput, self: AnyActorRef): unknown {
  const context = workContext(input);
  return typeof input.work === 'function' ? input.work(context) : runLogic(input.work, context, self);
}

/**
 * Runs actor logic as one attempt, as a child of the attempt's promise actor (so it shares
 * the system: the inspector sees it, a simulated clock drives it). Its completion or final
 * state resolves, its error rejects. When the attempt's signal aborts (STOP), a machine
 * that can take a `STOP` event gets one and is awaited; any other logic is stopped at
 * once. When the promise actor itself is stopped from outside, the logic is stopped at once.
 */
function runLogic(
  logic: AnyActorLogic,
  input: WorkContext,
  parent: AnyActorRef,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = createActor(logic, { parent, input });
    shareOptionsShape(child);
    const end = (): void => {
      input.signal.removeEventListener('abort', onStop);
      onActorStopped.delete(parent);
    };
    const onStop = (): void => {
      const snapshot = child.getSnapshot() as { status: string; can?: (event: { type: string }) => boolean };
      if (snapshot.status === 'active' && snapshot.can?.({ type: 'STOP' }) === true) {
        child.send({ type: 'STOP' });
        return;
      }
      end();
      stopChild(child);
      resolve(undefined);
    };
    const onStopped = (): void => {
      end();
      stopChild(child);
    };
    child.subscribe({
      complete: () => {
        end();
        resolve((child.getSnapshot() as { output?: unknown }).output);
      },
      error: (error) => {
        end();
        // Any thrown value is a crash and is reported as it was thrown, Error or not.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(error);
      },
    });
    input.signal.addEventListener('abort', onStop, { once: true });
    onActorStopped.set(parent, onStopped);
    child.start();
  });
}

/**
 * Stops an actor created with a `parent`, which refuses `stop()` ("A non-root actor cannot
 * be stopped directly"). This is what XState's own `stopChild` does for a parent.
 */
function stopChild(child: AnyActorRef): void {
  (child as unknown as { _stop(): void })._stop();
}

/** A rejection that only says "I was aborted" is how work settles on STOP, not a fault. */
export function isAbortRejection(error: unknown, signal: AbortSignal | undefined): boolean {
  return isAbort(error, signal);
}
