import { assign, fromPromise, setup, stateIn } from 'xstate';
import { backoffDelay, resolveBackoff, type BackoffPolicy } from './backoff.js';
import { notify } from './notify.js';
import type {
  SupervisorEventHandler,
  Work,
  WorkerReport,
  WorkerSpec,
} from './types.js';

/**
 * The abort reason of a STOP: an `AbortError`, as `abort()` would make, but one for all
 * workers. Building a DOMException captures a stack; a group of N stopping workers paid
 * for N of them.
 */
const stopReason = new DOMException('The worker was asked to stop', 'AbortError');
/** The abort reason once an attempt is over (it crashed, returned or was cut off). */
const endReason = new DOMException('The attempt has ended', 'AbortError');

/** The default of `stopTimeoutMs`. */
export const defaultStopTimeoutMs = 10_000;

/** Input of {@link workerMachine}: a worker spec, plus an optional event hook. */
export interface WorkerInput extends WorkerSpec {
  /** Receives this worker's lifecycle events synchronously. */
  onEvent?: SupervisorEventHandler | undefined;
  /**
   * Who ends the wait of a stop at `stopTimeoutMs`: the worker's own timer (`'own'`), or
   * its group, which sends `STOP_TIMEOUT` (`'group'`; set by {@link groupMachine}, so that
   * a group of N stopping workers holds one timer instead of N).
   * @default 'own'
   */
  stopDeadline?: 'own' | 'group' | undefined;
  /** The random source of backoff jitter, in [0, 1). For tests that pin it. @default Math.random */
  random?: (() => number) | undefined;
}

/** What a worker accepts: STOP, and the group's word that a stop timeout has passed. */
export type WorkerEvent = { type: 'STOP' } | { type: 'STOP_TIMEOUT'; stopTimeoutMs: number };

/** What the invoked `work` actor receives. */
export interface WorkInput {
  work: Work;
  name: string;
  attempt: number;
  /** Aborted by the worker on STOP; the actor links its own stop signal to it too. */
  controller: AbortController;
}

export interface WorkerContext {
  name: string;
  work: Work;
  restart: 'on-failure' | 'always' | 'never';
  backoff: BackoffPolicy;
  random: () => number;
  stopTimeoutMs: number;
  stopDeadline: 'own' | 'group';
  onEvent: SupervisorEventHandler | undefined;
  attempts: number;
  /** Consecutive crashes: drives the backoff. */
  crashes: number;
  /** The delay of the current backoff, computed once when the crash happened. */
  delayMs: number;
  errored: boolean;
  lastError: unknown;
  stopTimedOut: boolean;
  outcome: WorkerReport['outcome'] | undefined;
  /** The current attempt's abort controller; STOP aborts it. */
  controller: AbortController | undefined;
}

/**
 * Runs the work once. XState aborts `signal` when this actor is stopped from outside
 * (but never waits for the promise); the worker's own STOP aborts `controller` and keeps
 * this actor alive until the promise settles. Both reach the work as one signal.
 */
export const workLogic = fromPromise<unknown, WorkInput>(({ input, signal }) => {
  const { controller } = input;
  const forward = (): void => controller.abort(signal.reason);
  if (signal.aborted) forward();
  else signal.addEventListener('abort', forward, { once: true });
  const unlink = (): void => signal.removeEventListener('abort', forward);
  let result: unknown;
  try {
    result = input.work({ signal: controller.signal, name: input.name, attempt: input.attempt });
  } catch (error) {
    unlink();
    // Any thrown value is a crash and is reported as it was thrown, Error or not.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    return Promise.reject(error);
  }
  return Promise.resolve(result).finally(unlink);
});

/** A rejection that only says "I was aborted" is how work settles on STOP, not a fault. */
function isAbortRejection(error: unknown, signal: AbortSignal | undefined): boolean {
  if (signal !== undefined && error === signal.reason) return true;
  return error instanceof Error && error.name === 'AbortError';
}

/**
 * One supervised worker: runs its work as an invoked promise actor and restarts it with
 * exponential backoff when it crashes.
 *
 * States: `attempt.running` → (clean return) `done` | (crash) `backoff` → after the
 * `backoff` delay → `attempt.running` again. With `restart: 'never'` a crash ends in
 * `failed`; with `restart: 'always'` a clean return goes to `backoff` too. STOP in
 * `attempt.running` aborts the work's signal and waits in `attempt.stopping` for it to
 * settle, up to the `stopTimeout` delay; STOP in `backoff` ends at once. `done` and `stopped` are final; the output is the
 * {@link WorkerReport}. On its own the worker times its stop (`stopping.untilOwnDeadline`);
 * in a group, the group does (`stopping.untilGroupDeadline`, ended by `STOP_TIMEOUT`).
 *
 * The invoke lives on `attempt`, the parent of `running` and `stopping`, so the work
 * actor stays alive (and its settlement observable) while the worker is stopping.
 *
 * Overridable with `.provide()`: the `work` actor, the `backoff` and `stopTimeout` delays.
 *
 * @example
 * ```ts
 * const worker = createActor(workerMachine, {
 *   input: { name: 'poller', work: async ({ signal }) => poll(signal) },
 * }).start();
 * worker.send({ type: 'STOP' });
 * ```
 */
export const workerMachine = setup({
  types: {
    input: {} as WorkerInput,
    context: {} as WorkerContext,
    events: {} as WorkerEvent,
    output: {} as WorkerReport,
  },
  actors: { work: workLogic },
  delays: {
    backoff: ({ context }) => context.delayMs,
    stopTimeout: ({ context }) => context.stopTimeoutMs,
  },
  guards: {
    // After STOP, any settlement of the work means "stopped", never "done" or "crashed".
    stopRequested: stateIn('#worker.attempt.stopping'),
    restartsAfterExit: ({ context }) => context.restart === 'always',
    neverRestarts: ({ context }) => context.restart === 'never',
    timesItsOwnStop: ({ context }) => context.stopDeadline === 'own',
    isItsStopTimeout: ({ context, event }) =>
      event.type === 'STOP_TIMEOUT' && event.stopTimeoutMs === context.stopTimeoutMs,
  },
  actions: {
    beginAttempt: assign({
      attempts: ({ context }) => context.attempts + 1,
      controller: () => new AbortController(),
    }),
    abortWork: ({ context }) => context.controller?.abort(stopReason),
    // The signal lives as long as the attempt: whatever the work started and left behind
    // is cancelled when it crashes or returns. (No-op after STOP: already aborted.)
    endAttempt: ({ context }) => context.controller?.abort(endReason),
    markStopTimedOut: assign({ stopTimedOut: true }),
    reportStarted: ({ context }) =>
      notify(context.onEvent, { type: 'worker.started', name: context.name, attempt: context.attempts }),
    reportCrashed: ({ context }) =>
      notify(context.onEvent, {
        type: 'worker.crashed',
        name: context.name,
        attempt: context.attempts,
        error: context.lastError,
        delayMs: context.delayMs,
      }),
    reportExited: ({ context }) =>
      notify(context.onEvent, { type: 'worker.exited', name: context.name, attempt: context.attempts }),
    reportExitedAndRestarting: ({ context }) =>
      notify(context.onEvent, {
        type: 'worker.exited',
        name: context.name,
        attempt: context.attempts,
        restartInMs: context.delayMs,
      }),
    reportFailed: ({ context }) =>
      notify(context.onEvent, {
        type: 'worker.failed',
        name: context.name,
        attempts: context.attempts,
        error: context.lastError,
      }),
    reportStopped: ({ context }) =>
      notify(context.onEvent, {
        type: 'worker.stopped',
        name: context.name,
        attempts: context.attempts,
        stopTimedOut: context.stopTimedOut,
        stopTimeoutMs: context.stopTimeoutMs,
      }),
  },
}).createMachine({
  id: 'worker',
  context: ({ input }) => ({
    name: input.name,
    work: input.work,
    restart: input.restart ?? 'on-failure',
    backoff: resolveBackoff(input.backoff),
    random: input.random ?? Math.random,
    stopTimeoutMs: input.stopTimeoutMs ?? defaultStopTimeoutMs,
    stopDeadline: input.stopDeadline ?? 'own',
    onEvent: input.onEvent,
    attempts: 0,
    crashes: 0,
    delayMs: 0,
    errored: false,
    lastError: undefined,
    stopTimedOut: false,
    outcome: undefined,
    controller: undefined,
  }),
  initial: 'attempt',
  states: {
    attempt: {
      entry: ['beginAttempt', 'reportStarted'],
      exit: 'endAttempt',
      invoke: {
        id: 'work',
        src: 'work',
        input: ({ context }) => ({
          work: context.work,
          name: context.name,
          attempt: context.attempts,
          // beginAttempt ran just before: the controller is there.
          controller: context.controller!,
        }),
        onDone: [
          { guard: 'stopRequested', target: 'stopped' },
          {
            // restart: 'always' — a clean return waits the current delay (no new crash).
            guard: 'restartsAfterExit',
            target: 'backoff',
            actions: [
              assign({
                delayMs: ({ context }) => backoffDelay(context.backoff, Math.max(1, context.crashes), context.random),
              }),
              'reportExitedAndRestarting',
            ],
          },
          { target: 'done' },
        ],
        onError: [
          {
            guard: 'stopRequested',
            target: 'stopped',
            actions: assign(({ context, event }) =>
              isAbortRejection(event.error, context.controller?.signal)
                ? {}
                : { errored: true, lastError: event.error },
            ),
          },
          {
            guard: 'neverRestarts',
            target: 'failed',
            actions: assign(({ event }) => ({ errored: true, lastError: event.error })),
          },
          {
            target: 'backoff',
            actions: [
              assign(({ context, event }) => {
                const crashes = context.crashes + 1;
                return {
                  crashes,
                  errored: true,
                  lastError: event.error,
                  delayMs: backoffDelay(context.backoff, crashes, context.random),
                };
              }),
              'reportCrashed',
            ],
          },
        ],
      },
      initial: 'running',
      states: {
        running: {
          on: { STOP: { target: 'stopping', actions: 'abortWork' } },
        },
        stopping: {
          initial: 'untilGroupDeadline',
          states: {
            untilGroupDeadline: {
              always: { guard: 'timesItsOwnStop', target: 'untilOwnDeadline' },
            },
            untilOwnDeadline: {
              after: { stopTimeout: { target: '#worker.stopped', actions: 'markStopTimedOut' } },
            },
          },
          on: {
            STOP_TIMEOUT: { guard: 'isItsStopTimeout', target: '#worker.stopped', actions: 'markStopTimedOut' },
          },
        },
      },
    },
    backoff: {
      after: { backoff: { target: 'attempt' } },
      on: { STOP: { target: 'stopped' } },
    },
    done: {
      type: 'final',
      entry: [assign({ outcome: 'done' }), 'reportExited'],
    },
    stopped: {
      type: 'final',
      entry: [assign({ outcome: 'stopped' }), 'reportStopped'],
    },
    failed: {
      type: 'final',
      entry: [assign({ outcome: 'failed' }), 'reportFailed'],
    },
  },
  output: ({ context }) => workerReport(context),
});

function workerReport(context: WorkerContext): WorkerReport {
  const report: WorkerReport = {
    name: context.name,
    outcome: context.outcome ?? 'stopped',
    attempts: context.attempts,
    restarts: Math.max(0, context.attempts - 1),
    stopTimedOut: context.stopTimedOut,
  };
  if (context.errored) report.lastError = context.lastError;
  return report;
}
