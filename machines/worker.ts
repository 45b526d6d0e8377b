import { and, assign, enqueueActions, not, setup, stateIn } from 'xstate';
import { endReason, isAbortRejection, stopReason, workLogic, type Pulse } from './attempt.js';
import { backoffDelay, resolveBackoff, type BackoffPolicy } from './backoff.js';
import { isFatal } from './fatal.js';
import type { WorkerMessage } from './messages.js';
import { notify } from './notify.js';
import type {
  SupervisorEventHandler,
  WorkerOptions,
  WorkerReport,
  WorkerSpec,
} from './types.js';

/** The default of `stopTimeoutMs`. */
export const defaultStopTimeoutMs = 10_000;

/** Input of {@link workerMachine}: a worker spec, plus an optional event hook. */
export interface WorkerInput extends WorkerSpec {
  /** Receives this worker's lifecycle events synchronously. */
  onEvent?: SupervisorEventHandler | undefined;
  /**
   * Who ends the wait of a stop at `stopTimeoutMs`: the worker's own timer (`'own'`), or
   * its parent, which sends `supervisor.stopDeadline` (`'parent'`; set by the group's
   * branches, so that a group of N stopping workers holds one timer per distinct
   * `stopTimeoutMs` instead of N). See machines/messages.ts.
   * @default 'own'
   */
  stopDeadline?: 'own' | 'parent' | undefined;
  /** The random source of backoff jitter, in [0, 1). For tests that pin it. @default Math.random */
  random?: (() => number) | undefined;
  /**
   * The time source of `nextAttemptAt` (when a worker in backoff starts again), in ms.
   * Pass `() => clock.now()` with a `SimulatedClock`. @default Date.now
   */
  now?: (() => number) | undefined;
}

/** What a worker accepts: the worker's part of the protocol in machines/messages.ts. */
export type WorkerEvent = WorkerMessage;

/** Which deadline a hung attempt missed. */
export type HangTimeout = 'ready' | 'heartbeat' | 'attempt';

/** What a worker was started with: fixed for its lifetime. */
export interface WorkerConfig {
  work: WorkerSpec['work'];
  restart: 'on-failure' | 'always' | 'never';
  backoff: BackoffPolicy;
  maxRestarts: WorkerOptions['maxRestarts'];
  random: () => number;
  now: () => number;
  stopTimeoutMs: number;
  readyTimeoutMs: number | undefined;
  heartbeatTimeoutMs: number | undefined;
  attemptTimeoutMs: number | undefined;
  onEvent: SupervisorEventHandler | undefined;
}

/**
 * The worker's context. The fixed settings live in one `config` object, so that the context
 * keeps few enough properties for V8 to keep it a fast object: XState copies the context
 * with `Object.assign` on every `assign`, and a copy of 20 or more properties becomes a
 * dictionary, which made each copy several times slower (about 4 µs).
 */
export interface WorkerContext {
  name: string;
  config: WorkerConfig;
  /** Restarts within the last `maxRestarts.withinMs`: each one ends with `RESTART_WINDOW_PASSED`. */
  recentRestarts: number;
  stopDeadline: 'own' | 'parent';
  attempts: number;
  /** Consecutive crashes: drives the backoff. */
  crashes: number;
  /** The current attempt has run `backoff.resetAfterMs`. */
  warmedUp: boolean;
  /** The delay of the current backoff, computed once when the crash happened. */
  delayMs: number;
  /** When the current backoff ends (by `now`), for status displays; undefined outside backoff. */
  nextAttemptAt: number | undefined;
  errored: boolean;
  lastError: unknown;
  stopTimedOut: boolean;
  outcome: WorkerReport['outcome'] | undefined;
  /** The current attempt's abort controller; STOP aborts it. */
  controller: AbortController | undefined;
  /** The current attempt's record of heartbeats, readiness and progress. */
  pulse: Pulse;
}

/**
 * One supervised worker: runs its work as an invoked promise actor and restarts it with
 * exponential backoff when it crashes.
 *
 * States: `attempt.running` → (clean return) `done` | (crash) `backoff` → after the
 * `backoff` delay → `attempt.running` again. With `restart: 'never'` a crash ends in
 * `failed`; with `restart: 'always'` a clean return goes to `backoff` too. A `FatalError`
 * (guard `threwFatalError`) and the `maxRestarts` limit (guard `restartLimitReached`; each
 * counted restart leaves the window with a delayed `RESTART_WINDOW_PASSED`) end in
 * `failed` as well. `attempt.running` is `warmingUp` until `backoff.resetAfterMs` has
 * passed (then `warm`, and the next crash starts from `initialMs` again; guard
 * `hasWarmUp`), or `warm` from the start without it. STOP in `attempt.running` aborts the work's signal and waits in
 * `attempt.stopping` for it to settle, up to the `stopTimeout` delay; STOP in `backoff`
 * ends at once. `done`, `stopped` and `failed` are final; the output is the
 * {@link WorkerReport}. On its own the worker times its stop (`stopping.untilOwnDeadline`);
 * in a group its parent does (`stopping.untilParentDeadline`, ended by
 * `supervisor.stopDeadline`; machines/messages.ts).
 *
 * The invoke lives on `attempt`, the parent of `running` and `stopping`, so the work
 * actor stays alive (and its settlement observable) while the worker is stopping.
 *
 * `work` may be a function or XState actor logic (run as a child of the `work` actor).
 *
 * Overridable with `.provide()`: the `work` actor, the `backoff`, `stopTimeout`,
 * `resetAfter` and `restartWindow` delays.
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
    stopTimeout: ({ context }) => context.config.stopTimeoutMs,
    resetAfter: ({ context }) => context.config.backoff.resetAfterMs ?? 0,
    restartWindow: ({ context }) => context.config.maxRestarts?.withinMs ?? 0,
    // Until the nearest deadline of the attempt, as its pulse says now.
    watchdog: ({ context }) => Math.max(0, nextDeadline(context) - context.config.now()),
  },
  guards: {
    // After STOP, any settlement of the work means "stopped", never "done" or "crashed".
    stopRequested: stateIn('#worker.attempt.stopping'),
    restartsAfterExit: ({ context }) => context.config.restart === 'always',
    neverRestarts: ({ context }) => context.config.restart === 'never',
    threwFatalError: ({ event }) => 'error' in event && isFatal(event.error),
    // One more restart would be more than `maxRestarts.count` within `withinMs`.
    restartLimitReached: ({ context }) =>
      context.config.maxRestarts !== undefined && context.recentRestarts >= context.config.maxRestarts.count,
    // This attempt has yet to run `resetAfterMs` (only when the option is set).
    hasWarmUp: ({ context }) => context.config.backoff.resetAfterMs !== undefined && !context.warmedUp,
    timesItsOwnStop: ({ context }) => context.stopDeadline === 'own',
    awaitsReady: ({ context }) => context.config.readyTimeoutMs !== undefined,
    // A late ready() of an abandoned attempt does not make the current one ready.
    isCurrentAttempt: ({ context, event }) => event.type === 'supervisor.ready' && event.attempt === context.attempts,
    readyTimedOut: ({ context }) => timedOut(context, 'ready'),
    heartbeatTimedOut: ({ context }) => timedOut(context, 'heartbeat'),
    attemptTimedOut: ({ context }) => timedOut(context, 'attempt'),
  },
  actions: {
    beginAttempt: assign({
      attempts: ({ context }) => context.attempts + 1,
      controller: () => new AbortController(),
      nextAttemptAt: undefined,
      warmedUp: false,
      pulse: ({ context }) => ({
        startedAt: context.config.now(),
        lastHeartbeatAt: undefined,
        ready: false,
        progress: context.pulse.progress,
        abandoned: context.pulse.abandoned,
      }),
    }),
    // One timer per watched attempt, whatever its deadlines: when it fires, the attempt is
    // hung or the timer is armed again for the nearest deadline (XState's scheduler scans
    // every pending timer of the system on each actor stop: keep one per worker, and none
    // while stopping, so that stopping N watched workers does not scan N timers N times).
    // No deadline left (readyTimeoutMs alone, after ready()): no timer. An Infinity delay is
    // not "never" to Node's setTimeout but 1 ms, a watchdog event per ms for the attempt's life.
    armWatchdog: enqueueActions(({ context, enqueue }) => {
      if (isWatched(context.config) && nextDeadline(context) !== Infinity) {
        enqueue.raise({ type: 'supervisor.watchdog' }, { id: 'watchdog', delay: 'watchdog' });
      }
    }),
    disarmWatchdog: enqueueActions(({ context, enqueue }) => {
      if (isWatched(context.config)) enqueue.cancel('watchdog');
    }),
    // `starting` holds the timer only when it waits for ready() (else it is left at once).
    armReadyWatchdog: enqueueActions(({ context, enqueue }) => {
      if (context.config.readyTimeoutMs !== undefined) enqueue.raise({ type: 'supervisor.watchdog' }, { id: 'watchdog', delay: 'watchdog' });
    }),
    disarmReadyWatchdog: enqueueActions(({ context, enqueue }) => {
      if (context.config.readyTimeoutMs !== undefined) enqueue.cancel('watchdog');
    }),
    // The attempt missed a deadline: its reason is a TimeoutError, as AbortSignal.timeout()'s.
    hang: enqueueActions(({ context, enqueue }, params: { timeout: HangTimeout }) => {
      const reason = new DOMException(hangMessage(context.config, params.timeout), 'TimeoutError');
      enqueue.assign({ errored: true, lastError: reason });
      const { controller, name, attempts, config } = context;
      enqueue(() => {
        controller?.abort(reason);
        notify(config.onEvent, { type: 'worker.hung', name, attempt: attempts, timeout: params.timeout });
      });
    }),
    // A hung attempt ended (or was abandoned): a crash, whose error is already lastError.
    countHang: assign(({ context }) => {
      const crashes = context.crashes + 1;
      const delayMs = backoffDelay(context.config.backoff, crashes, context.config.random);
      return { crashes, delayMs, nextAttemptAt: context.config.now() + delayMs };
    }),
    markAbandoned: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ pulse: { ...context.pulse, abandoned: context.pulse.abandoned + 1 } });
      const { name, attempts, config } = context;
      enqueue(() =>
        notify(config.onEvent, { type: 'worker.abandoned', name, attempt: attempts, stopTimeoutMs: config.stopTimeoutMs }),
      );
    }),
    abortWork: ({ context }) => context.controller?.abort(stopReason),
    // The signal lives as long as the attempt: whatever the work started and left behind
    // is cancelled when it crashes or returns. (No-op after STOP: already aborted.)
    endAttempt: ({ context }) => context.controller?.abort(endReason),
    markStopTimedOut: assign({ stopTimedOut: true }),
    recordFailure: assign(({ event }) => ('error' in event ? { errored: true, lastError: event.error } : {})),
    // The attempt ran `resetAfterMs`: its crash counts as the first again.
    resetBackoff: assign({ crashes: 0, warmedUp: true }),
    // Counted only under `maxRestarts`: each restart leaves the window `withinMs` later.
    countRestart: enqueueActions(({ context, enqueue }) => {
      if (context.config.maxRestarts === undefined) return;
      enqueue.assign({ recentRestarts: context.recentRestarts + 1 });
      enqueue.raise({ type: 'RESTART_WINDOW_PASSED' }, { delay: 'restartWindow' });
    }),
    forgetRestart: assign({ recentRestarts: ({ context }) => context.recentRestarts - 1 }),
    reportStarted: ({ context }) =>
      notify(context.config.onEvent, { type: 'worker.started', name: context.name, attempt: context.attempts }),
    reportCrashed: ({ context }) =>
      notify(context.config.onEvent, {
        type: 'worker.crashed',
        name: context.name,
        attempt: context.attempts,
        error: context.lastError,
        delayMs: context.delayMs,
      }),
    reportExited: ({ context }) =>
      notify(context.config.onEvent, { type: 'worker.exited', name: context.name, attempt: context.attempts }),
    reportExitedAndRestarting: ({ context }) =>
      notify(context.config.onEvent, {
        type: 'worker.exited',
        name: context.name,
        attempt: context.attempts,
        restartInMs: context.delayMs,
      }),
    reportFailed: ({ context }) =>
      notify(context.config.onEvent, {
        type: 'worker.failed',
        name: context.name,
        attempts: context.attempts,
        error: context.lastError,
      }),
    reportStopped: ({ context }) =>
      notify(context.config.onEvent, {
        type: 'worker.stopped',
        name: context.name,
        attempts: context.attempts,
        stopTimedOut: context.stopTimedOut,
        stopTimeoutMs: context.config.stopTimeoutMs,
      }),
  },
}).createMachine({
  id: 'worker',
  context: ({ input }) => ({
    name: input.name,
    config: {
      work: input.work,
      restart: input.restart ?? 'on-failure',
      backoff: resolveBackoff(input.backoff),
      maxRestarts: input.maxRestarts,
      random: input.random ?? Math.random,
      now: input.now ?? Date.now,
      stopTimeoutMs: input.stopTimeoutMs ?? defaultStopTimeoutMs,
      readyTimeoutMs: input.readyTimeoutMs,
      heartbeatTimeoutMs: input.heartbeatTimeoutMs,
      attemptTimeoutMs: input.attemptTimeoutMs,
      onEvent: input.onEvent,
    },
    recentRestarts: 0,
    nextAttemptAt: undefined,
    stopDeadline: input.stopDeadline ?? 'own',
    attempts: 0,
    crashes: 0,
    warmedUp: false,
    delayMs: 0,
    errored: false,
    lastError: undefined,
    stopTimedOut: false,
    outcome: undefined,
    controller: undefined,
    pulse: { startedAt: 0, lastHeartbeatAt: undefined, ready: false, progress: undefined, abandoned: 0 },
  }),
  initial: 'attempt',
  on: { RESTART_WINDOW_PASSED: { actions: 'forgetRestart' } },
  states: {
    attempt: {
      entry: ['beginAttempt', 'reportStarted'],
      exit: 'endAttempt',
      invoke: {
        id: 'work',
        src: 'work',
        input: ({ context, self }) => ({
          work: context.config.work,
          name: context.name,
          attempt: context.attempts,
          // beginAttempt ran just before: the controller is there.
          controller: context.controller!,
          pulse: context.pulse,
          now: context.config.now,
          worker: self,
        }),
        onDone: [
          { guard: 'stopRequested', target: 'stopped' },
          { guard: and(['restartsAfterExit', 'restartLimitReached']), target: 'failed' },
          {
            // restart: 'always' — a clean return waits the current delay (no new crash).
            guard: 'restartsAfterExit',
            target: 'backoff',
            actions: [
              assign(({ context }) => {
                const delayMs = backoffDelay(context.config.backoff, Math.max(1, context.crashes), context.config.random);
                return { delayMs, nextAttemptAt: context.config.now() + delayMs };
              }),
              'countRestart',
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
          { guard: 'threwFatalError', target: 'failed', actions: 'recordFailure' },
          { guard: 'neverRestarts', target: 'failed', actions: 'recordFailure' },
          { guard: 'restartLimitReached', target: 'failed', actions: 'recordFailure' },
          {
            target: 'backoff',
            actions: [
              // One assign on the hot path of a crash loop: each assign copies the context.
              assign(({ context, event }) => {
                const crashes = context.crashes + 1;
                const delayMs = backoffDelay(context.config.backoff, crashes, context.config.random);
                return { crashes, delayMs, nextAttemptAt: context.config.now() + delayMs, errored: true, lastError: event.error };
              }),
              'countRestart',
              'reportCrashed',
            ],
          },
        ],
      },
      initial: 'starting',
      states: {
        // With `readyTimeoutMs`, until the work calls ready(); without it, straight on.
        // The watchdog timer lives in `starting` and `running` only: leaving them (STOP, a
        // hang, the attempt's end) cancels it, so a stopping worker holds no timer and a
        // graceful stop is never a hang.
        starting: {
          entry: 'armReadyWatchdog',
          exit: 'disarmReadyWatchdog',
          always: { guard: not('awaitsReady'), target: 'running' },
          on: {
            'supervisor.ready': { guard: 'isCurrentAttempt', target: 'running' },
            'supervisor.watchdog': [
              { guard: 'readyTimedOut', target: 'hung', actions: { type: 'hang', params: { timeout: 'ready' } } },
              { guard: 'heartbeatTimedOut', target: 'hung', actions: { type: 'hang', params: { timeout: 'heartbeat' } } },
              { guard: 'attemptTimedOut', target: 'hung', actions: { type: 'hang', params: { timeout: 'attempt' } } },
              { actions: 'armWatchdog' },
            ],
            STOP: { target: 'stopping', actions: 'abortWork' },
          },
        },
        running: {
          entry: 'armWatchdog',
          exit: 'disarmWatchdog',
          on: {
            STOP: { target: 'stopping', actions: 'abortWork' },
            'supervisor.watchdog': [
              { guard: 'heartbeatTimedOut', target: 'hung', actions: { type: 'hang', params: { timeout: 'heartbeat' } } },
              { guard: 'attemptTimedOut', target: 'hung', actions: { type: 'hang', params: { timeout: 'attempt' } } },
              { actions: 'armWatchdog' },
            ],
          },
          initial: 'warm',
          states: {
            // Past the warm-up, or there is none: a crash grows the delay, unless the warm-up
            // just reset it. (With `resetAfterMs`, a new attempt passes through here into
            // warmingUp at once; without it, nothing more happens.)
            warm: {
              always: { guard: 'hasWarmUp', target: 'warmingUp' },
            },
            // Younger than `backoff.resetAfterMs`: a crash now grows the delay.
            warmingUp: {
              after: { resetAfter: { target: 'warm', actions: 'resetBackoff' } },
            },
          },
        },
        // A deadline passed: the signal is aborted; wait for the work up to `stopTimeoutMs`,
        // then count a crash whether it settled or not (if not, it is abandoned). No
        // watchdog timer here, nor in `stopping`.
        hung: {
          on: {
            'xstate.done.actor.work': [
              { guard: 'neverRestarts', target: '#worker.failed' },
              { guard: 'restartLimitReached', target: '#worker.failed' },
              { target: '#worker.backoff', actions: ['countHang', 'countRestart', 'reportCrashed'] },
            ],
            'xstate.error.actor.work': [
              { guard: 'neverRestarts', target: '#worker.failed' },
              { guard: 'restartLimitReached', target: '#worker.failed' },
              { target: '#worker.backoff', actions: ['countHang', 'countRestart', 'reportCrashed'] },
            ],
            // Stop wins: the worker stops, it does not restart.
            STOP: { target: 'stopping' },
          },
          after: {
            stopTimeout: [
              { guard: 'neverRestarts', target: '#worker.failed', actions: 'markAbandoned' },
              { guard: 'restartLimitReached', target: '#worker.failed', actions: 'markAbandoned' },
              { target: '#worker.backoff', actions: ['markAbandoned', 'countHang', 'countRestart', 'reportCrashed'] },
            ],
          },
        },
        stopping: {
          initial: 'untilParentDeadline',
          states: {
            untilParentDeadline: {
              always: { guard: 'timesItsOwnStop', target: 'untilOwnDeadline' },
            },
            untilOwnDeadline: {
              after: { stopTimeout: { target: '#worker.stopped', actions: 'markStopTimedOut' } },
            },
          },
          on: {
            'supervisor.stopDeadline': { target: '#worker.stopped', actions: 'markStopTimedOut' },
          },
        },
      },
    },
    backoff: {
      // Straight into `running` when nothing waits for ready(): a pass through `starting`
      // would cost every restart one more (eventless) microstep, and a snapshot with it.
      // The first attempt still passes through `starting` (a state's initial has no guard).
      after: { backoff: [{ guard: 'awaitsReady', target: 'attempt.starting' }, { target: 'attempt.running' }] },
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

/**
 * The one report constructor of a worker: its output, and (with `outcome` for a worker
 * whose actor ended without output, stopped or broken from outside) what `settle` reports.
 */
export function workerReport(context: WorkerContext, outcome: WorkerReport['outcome'] = 'stopped'): WorkerReport {
  const report: WorkerReport = {
    name: context.name,
    outcome: context.outcome ?? outcome,
    attempts: context.attempts,
    restarts: Math.max(0, context.attempts - 1),
    stopTimedOut: context.stopTimedOut,
  };
  if (context.errored) report.lastError = context.lastError;
  if (context.pulse.abandoned > 0) report.abandoned = context.pulse.abandoned;
  return report;
}

function isWatched(config: WorkerConfig): boolean {
  return config.readyTimeoutMs !== undefined || config.heartbeatTimeoutMs !== undefined || config.attemptTimeoutMs !== undefined;
}

/** When `timeout` passes for the current attempt (Infinity if it does not apply). */
function deadline(context: WorkerContext, timeout: HangTimeout): number {
  const { config, pulse } = context;
  switch (timeout) {
    case 'ready':
      return config.readyTimeoutMs === undefined || pulse.ready ? Infinity : pulse.startedAt + config.readyTimeoutMs;
    case 'heartbeat':
      return config.heartbeatTimeoutMs === undefined
        ? Infinity
        : (pulse.lastHeartbeatAt ?? pulse.startedAt) + config.heartbeatTimeoutMs;
    case 'attempt':
      return config.attemptTimeoutMs === undefined ? Infinity : pulse.startedAt + config.attemptTimeoutMs;
  }
}

function nextDeadline(context: WorkerContext): number {
  return Math.min(deadline(context, 'ready'), deadline(context, 'heartbeat'), deadline(context, 'attempt'));
}

function timedOut(context: WorkerContext, timeout: HangTimeout): boolean {
  return context.config.now() >= deadline(context, timeout);
}

function hangMessage(config: WorkerConfig, timeout: HangTimeout): string {
  switch (timeout) {
    case 'ready':
      return `The attempt did not call ready() within ${config.readyTimeoutMs} ms`;
    case 'heartbeat':
      return `The attempt sent no heartbeat within ${config.heartbeatTimeoutMs} ms`;
    case 'attempt':
      return `The attempt ran longer than ${config.attemptTimeoutMs} ms`;
  }
}
