import { and, assign, enqueueActions, setup, type AnyActorRef, type ActorSystem, type AnyEventObject } from 'xstate';
import { shareOptionsShape } from './actor-options.js';
import { endReason, isAbortRejection, stopReason, workLogic, type WorkInput } from './attempt.js';
import { backoffDelay, defaultBackoff, resolveBackoff, type BackoffPolicy } from './backoff.js';
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

/**
 * What a worker was started with, `work` and `name` aside: fixed for its lifetime, and one
 * object for consecutive workers started with the same options (see {@link configOf}).
 */
export interface WorkerConfig {
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
  /** Who ends the wait of a stop (see {@link WorkerInput.stopDeadline}). */
  stopDeadline: 'own' | 'parent';
}

/**
 * The worker's context. The fixed settings live in one `config` object, so that the context
 * keeps few enough properties for V8 to keep it a fast object: XState copies the context
 * with `Object.assign` on every `assign`, and a copy of 20 or more properties becomes a
 * dictionary, which made each copy several times slower (about 4 µs).
 */
export interface WorkerContext {
  name: string;
  config: Readonly<WorkerConfig>;
  /** Restarts within the last `maxRestarts.withinMs`: each one ends with `RESTART_WINDOW_PASSED`. */
  recentRestarts: number;
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
  /** How many attempts were abandoned so far (hung past `stopTimeoutMs`). */
  abandoned: number;
  /**
   * The current attempt called ready() (as the worker heard it: `supervisor.ready`). The
   * record's own `current.ready` is set by the call, outside any transition: the machine's
   * guards read this, so that its transitions depend on its events alone (model tests
   * traverse them without running any work).
   */
  readied: boolean;
  /**
   * The current attempt: the `work` actor's input, its abort controller (STOP aborts it)
   * and its record of heartbeats, readiness and progress. Before the first attempt, a
   * placeholder that carries `work`.
   */
  current: WorkInput;
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
  },
  guards: {
    // After STOP, any settlement of the work means "stopped", never "done" or "crashed".
    restartsAfterExit: ({ context }) => context.config.restart === 'always',
    neverRestarts: ({ context }) => context.config.restart === 'never',
    threwFatalError: ({ event }) => 'error' in event && isFatal(event.error),
    // Restarts are counted (`maxRestarts` is set): each one leaves the window later.
    limitsRestarts: ({ context }) => context.config.maxRestarts !== undefined,
    // One more restart would be more than `maxRestarts.count` within `withinMs`.
    restartLimitReached: ({ context }) =>
      context.config.maxRestarts !== undefined && context.recentRestarts >= context.config.maxRestarts.count,
    // This attempt has yet to run `resetAfterMs` (only when the option is set).
    hasWarmUp: ({ context }) => context.config.backoff.resetAfterMs !== undefined && !context.warmedUp,
    // A new attempt has a warm-up (`resetAfterMs` is set).
    warmsUp: ({ context }) => context.config.backoff.resetAfterMs !== undefined,
    timesItsOwnStop: ({ context }) => context.config.stopDeadline === 'own',
    // A new attempt starts by waiting for ready() (`readyTimeoutMs` is set).
    waitsForReady: ({ context }) => context.config.readyTimeoutMs !== undefined,
    // This attempt waits for ready() and has not called it yet.
    awaitsReady: ({ context }) => context.config.readyTimeoutMs !== undefined && !context.readied,
    // A late ready() of an abandoned attempt does not make the current one ready.
    isCurrentAttempt: ({ context, event }) => event.type === 'supervisor.ready' && event.attempt === context.attempts,
    readyTimedOut: ({ context }) => timedOut(context, 'ready'),
    heartbeatTimedOut: ({ context }) => timedOut(context, 'heartbeat'),
    attemptTimedOut: ({ context }) => timedOut(context, 'attempt'),
  },
  actions: {
    // A restart (on the way out of `backoff`): the first attempt's record is made with the
    // context, which saves every worker an assign (a context and snapshot copy) at start.
    beginAttempt: assign(({ context, self }) => ({
      attempts: context.attempts + 1,
      nextAttemptAt: undefined,
      warmedUp: false,
      readied: false,
      current: attemptRecord(
        context.current.work,
        context.name,
        context.attempts + 1,
        context.config,
        self,
        context.config.now(),
        context.current.progress,
      ),
    })),
    // One timer per watched attempt, whatever its deadlines: when it fires, the attempt is
    // hung or the timer is armed again for the nearest deadline (keep one per worker, and
    // none while stopping, so that stopping N watched workers does not scan N timers N
    // times on XState's stock scheduler). No deadline left (readyTimeoutMs alone, after
    // ready()): no timer. An Infinity delay is not "never" to Node's setTimeout but 1 ms, a
    // watchdog event per ms for the attempt's life.
    //
    // These four are plain actions on the system's scheduler (what a delayed `raise` and
    // `cancel` execute), not `enqueueActions`: an unwatched worker, the common case, pays
    // one function call per state entry and exit instead of building an enqueue helper.
    armWatchdog: ({ context, self, system }) => armWatchdog(context, self, system),
    // Entering `running`: unless the attempt goes on to `starting` (the always of `warm`),
    // which arms it itself.
    armRunningWatchdog: ({ context, self, system }) => {
      if (context.config.readyTimeoutMs === undefined || context.readied) armWatchdog(context, self, system);
    },
    disarmWatchdog: ({ context, self, system }) => {
      if (isWatched(context.config)) (system as ActorSystem<never>).scheduler.cancel(self, watchdogId);
    },
    // The attempt missed a deadline: its reason is a TimeoutError, as AbortSignal.timeout()'s.
    hang: enqueueActions(({ context, enqueue }, params: { timeout: HangTimeout }) => {
      const reason = new DOMException(hangMessage(context.config, params.timeout), 'TimeoutError');
      enqueue.assign({ errored: true, lastError: reason });
      const { current, name, attempts, config } = context;
      enqueue(() => {
        current.controller.abort(reason);
        notify(config.onEvent, { type: 'worker.hung', name, attempt: attempts, timeout: params.timeout });
      });
    }),
    // The attempt crashed: one assign on the hot path of a crash loop (each copies the context).
    countCrash: assign(({ context, event }) => {
      const crashes = context.crashes + 1;
      const delayMs = backoffDelay(context.config.backoff, crashes, context.config.random);
      const error = 'error' in event ? event.error : undefined;
      return { crashes, delayMs, nextAttemptAt: context.config.now() + delayMs, errored: true, lastError: error };
    }),
    // A hung attempt ended (or was abandoned): a crash, whose error is already lastError.
    countHang: assign(({ context }) => {
      const crashes = context.crashes + 1;
      const delayMs = backoffDelay(context.config.backoff, crashes, context.config.random);
      return { crashes, delayMs, nextAttemptAt: context.config.now() + delayMs };
    }),
    markAbandoned: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ abandoned: context.abandoned + 1 });
      const { name, attempts, config } = context;
      enqueue(() =>
        notify(config.onEvent, { type: 'worker.abandoned', name, attempt: attempts, stopTimeoutMs: config.stopTimeoutMs }),
      );
    }),
    markReady: assign({ readied: true }),
    abortWork: ({ context }) => context.current.controller.abort(stopReason),
    // The signal lives as long as the attempt: whatever the work started and left behind
    // is cancelled when it crashes or returns. (No-op after STOP: already aborted.)
    endAttempt: ({ context }) => context.current.controller.abort(endReason),
    markStopTimedOut: assign({ stopTimedOut: true }),
    // A rejection with the abort's own reason is the work obeying STOP, not an error.
    recordStopFailure: assign(({ context, event }) =>
      'error' in event && !isAbortRejection(event.error, context.current.controller.signal)
        ? { errored: true, lastError: event.error }
        : {},
    ),
    recordFailure: assign(({ event }) => ('error' in event ? { errored: true, lastError: event.error } : {})),
    // The attempt ran `resetAfterMs`: its crash counts as the first again.
    resetBackoff: assign({ crashes: 0, warmedUp: true }),
    // Counted only under `maxRestarts` (guard `limitsRestarts` on the crash path): each
    // restart leaves the window `withinMs` later.
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
  context: ({ input, self }) => {
    shareOptionsShape(self);
    // A group's branch hands its workers their config made already (see presetConfig).
    const config = (input as PresetInput)[presetConfig] ?? configOf(input);
    return {
      name: input.name,
      config,
      recentRestarts: 0,
      nextAttemptAt: undefined,
      attempts: 1,
      crashes: 0,
      warmedUp: false,
      delayMs: 0,
      errored: false,
      lastError: undefined,
      stopTimedOut: false,
      abandoned: 0,
      readied: false,
      // Its start is stamped by the watchdog's first arming, as the attempt is entered (see
      // armWatchdog): the context is made when the actor is created, which may be long
      // before it starts. Only the watchdog reads `startedAt`.
      current: attemptRecord(input.work, input.name, 1, config, self, NaN, undefined),
    };
  },
  initial: 'attempt',
  on: { RESTART_WINDOW_PASSED: { actions: 'forgetRestart' } },
  states: {
    attempt: {
      entry: 'reportStarted',
      exit: 'endAttempt',
      invoke: {
        id: 'work',
        src: 'work',
        // The attempt's record, made by beginAttempt just before.
        input: ({ context }) => context.current,
        // The work settling while the worker stops is handled by `stopping` itself (its own
        // transitions take precedence over these): a crash pays no `stateIn` guard, which
        // parses a state id on every evaluation.
        onDone: [
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
          { guard: 'threwFatalError', target: 'failed', actions: 'recordFailure' },
          { guard: 'neverRestarts', target: 'failed', actions: 'recordFailure' },
          { guard: 'restartLimitReached', target: 'failed', actions: 'recordFailure' },
          // The hot path of a crash loop: one assign (each copies the context), and the
          // restart counted only under `maxRestarts`.
          { guard: 'limitsRestarts', target: 'backoff', actions: ['countCrash', 'countRestart', 'reportCrashed'] },
          { target: 'backoff', actions: ['countCrash', 'reportCrashed'] },
        ],
      },
      // Straight into `running`: its `warm` state moves on to `starting` when the attempt
      // must call ready() first (`readyTimeoutMs`), which costs the common case nothing but
      // a guard, where an initial `starting` cost every worker one more microstep.
      initial: 'running',
      states: {
        // Until the work calls ready() (only with `readyTimeoutMs`). The watchdog timer
        // lives in `starting` and `running` only: leaving them (STOP, a hang, the attempt's
        // end) cancels it, so a stopping worker holds no timer and a graceful stop is never
        // a hang.
        starting: {
          entry: 'armWatchdog',
          exit: 'disarmWatchdog',
          on: {
            'supervisor.ready': { guard: 'isCurrentAttempt', target: 'running', actions: 'markReady' },
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
          entry: 'armRunningWatchdog',
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
            // just reset it. A new attempt that must call ready() first moves on to
            // `starting`; one with `resetAfterMs` into `warmingUp` (a restart from `backoff`
            // goes to those directly).
            warm: {
              always: [
                { guard: 'awaitsReady', target: '#worker.attempt.starting' },
                { guard: 'hasWarmUp', target: 'warmingUp' },
              ],
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
            'xstate.done.actor.work': { target: '#worker.stopped' },
            'xstate.error.actor.work': { target: '#worker.stopped', actions: 'recordStopFailure' },
          },
        },
      },
    },
    backoff: {
      // Straight into the state the new attempt starts in: a pass through `running.warm`
      // would cost every restart one more (eventless) microstep, and a snapshot with it.
      after: {
        backoff: [
          { guard: 'waitsForReady', target: 'attempt.starting', actions: 'beginAttempt' },
          { guard: 'warmsUp', target: 'attempt.running.warmingUp', actions: 'beginAttempt' },
          { target: 'attempt.running', actions: 'beginAttempt' },
        ],
      },
      on: { STOP: { target: 'stopped' } },
    },
    // The outcome is the final state's output (the root's `output` reads it from the done
    // event), not a context field: one assign less per worker.
    done: { type: 'final', entry: 'reportExited', output: 'done' },
    stopped: { type: 'final', entry: 'reportStopped', output: 'stopped' },
    failed: { type: 'final', entry: 'reportFailed', output: 'failed' },
  },
  output: ({ context, event }) => workerReport(context, (event as AnyEventObject & { output: WorkerReport['outcome'] }).output),
});

/**
 * The one report constructor of a worker: its output (with the final state's `outcome`),
 * and what `settle` reports of a worker whose actor ended without output, stopped or broken
 * from outside.
 */
export function workerReport(context: WorkerContext, outcome: WorkerReport['outcome']): WorkerReport {
  const report: WorkerReport = {
    name: context.name,
    outcome,
    attempts: context.attempts,
    restarts: Math.max(0, context.attempts - 1),
    stopTimedOut: context.stopTimedOut,
  };
  if (context.errored) report.lastError = context.lastError;
  if (context.abandoned > 0) report.abandoned = context.abandoned;
  return report;
}

/** A new attempt's record. */
function attemptRecord(
  work: WorkInput['work'],
  name: string,
  attempt: number,
  config: Readonly<WorkerConfig>,
  worker: AnyActorRef,
  startedAt: number,
  progress: unknown,
): WorkInput {
  return {
    work,
    name,
    attempt,
    controller: new AbortController(),
    now: config.now,
    worker,
    startedAt,
    lastHeartbeatAt: undefined,
    ready: false,
    progress,
  };
}

/**
 * Where a group's branch puts a worker's config on its input, made once for the workers
 * of the same options: the input then keeps no copy of the options (XState keeps each
 * actor's input for the actor's life). Not part of {@link WorkerInput}: a symbol nobody
 * else can set.
 * @internal
 */
export const presetConfig = Symbol('xstate-supervisor.presetConfig');
type PresetInput = WorkerInput & { [presetConfig]?: Readonly<WorkerConfig> };

/** The id of the watchdog's delayed event. */
const watchdogId = 'watchdog';

/**
 * Arms the watchdog for the nearest deadline of the current attempt, as a delayed `raise`
 * of `supervisor.watchdog` would: on the system's scheduler, so on its clock.
 */
function armWatchdog(context: WorkerContext, self: AnyActorRef, system: unknown): void {
  if (!isWatched(context.config)) return;
  // The first attempt's record is stamped here, on the attempt's entry (NaN: not yet).
  if (Number.isNaN(context.current.startedAt)) context.current.startedAt = context.config.now();
  const due = nextDeadline(context);
  if (due === Infinity) return;
  const delay = Math.max(0, due - context.config.now());
  (system as ActorSystem<never>).scheduler.schedule(self, self, { type: 'supervisor.watchdog' }, delay, watchdogId);
}

function isWatched(config: Readonly<WorkerConfig>): boolean {
  return config.readyTimeoutMs !== undefined || config.heartbeatTimeoutMs !== undefined || config.attemptTimeoutMs !== undefined;
}

/** When `timeout` passes for the current attempt (Infinity if it does not apply). */
function deadline(context: WorkerContext, timeout: HangTimeout): number {
  const { config, current } = context;
  switch (timeout) {
    case 'ready':
      return config.readyTimeoutMs === undefined || current.ready ? Infinity : current.startedAt + config.readyTimeoutMs;
    case 'heartbeat':
      return config.heartbeatTimeoutMs === undefined
        ? Infinity
        : (current.lastHeartbeatAt ?? current.startedAt) + config.heartbeatTimeoutMs;
    case 'attempt':
      return config.attemptTimeoutMs === undefined ? Infinity : current.startedAt + config.attemptTimeoutMs;
  }
}

function nextDeadline(context: WorkerContext): number {
  return Math.min(deadline(context, 'ready'), deadline(context, 'heartbeat'), deadline(context, 'attempt'));
}

function timedOut(context: WorkerContext, timeout: HangTimeout): boolean {
  return context.config.now() >= deadline(context, timeout);
}

function hangMessage(config: Readonly<WorkerConfig>, timeout: HangTimeout): string {
  switch (timeout) {
    case 'ready':
      return `The attempt did not call ready() within ${config.readyTimeoutMs} ms`;
    case 'heartbeat':
      return `The attempt sent no heartbeat within ${config.heartbeatTimeoutMs} ms`;
    case 'attempt':
      return `The attempt ran longer than ${config.attemptTimeoutMs} ms`;
  }
}

/**
 * The options of the last worker started, per event hook, and the config made of them:
 * the workers of a group are mostly started one after another with the same options, and
 * share one config object instead of holding one each (with its resolved backoff, about
 * 180 bytes per worker). Keyed by the hook in a WeakMap, so a group's config goes with it.
 * Sharing is safe: nothing writes to a config.
 */
interface LastConfig {
  restart: WorkerInput['restart'];
  backoff: BackoffPolicy;
  maxRestarts: WorkerInput['maxRestarts'];
  random: WorkerInput['random'];
  now: WorkerInput['now'];
  stopTimeoutMs: WorkerInput['stopTimeoutMs'];
  readyTimeoutMs: WorkerInput['readyTimeoutMs'];
  heartbeatTimeoutMs: WorkerInput['heartbeatTimeoutMs'];
  attemptTimeoutMs: WorkerInput['attemptTimeoutMs'];
  config: Readonly<WorkerConfig>;
}
const lastConfigs = new WeakMap<SupervisorEventHandler, LastConfig>();
let lastUnhooked: LastConfig | undefined;

/**
 * The worker's config: the last one made if the options are the same, else a new one.
 * `shared` gives what a branch's workers share (`onEvent`, `now`, `stopDeadline`, and no
 * `random`: a spec has none); by default the input's own.
 */
export function configOf(
  input: WorkerInput,
  shared: Pick<WorkerInput, 'onEvent' | 'now' | 'stopDeadline' | 'random'> = input,
): Readonly<WorkerConfig> {
  const { onEvent, now, random } = shared;
  const stopDeadline = shared.stopDeadline ?? 'own';
  const last = onEvent === undefined ? lastUnhooked : lastConfigs.get(onEvent);
  if (
    last !== undefined &&
    last.config.stopDeadline === stopDeadline &&
    last.restart === input.restart &&
    sameBackoff(last.backoff, input.backoff) &&
    sameMaxRestarts(last.maxRestarts, input.maxRestarts) &&
    last.random === random &&
    last.now === now &&
    last.stopTimeoutMs === input.stopTimeoutMs &&
    last.readyTimeoutMs === input.readyTimeoutMs &&
    last.heartbeatTimeoutMs === input.heartbeatTimeoutMs &&
    last.attemptTimeoutMs === input.attemptTimeoutMs
  ) {
    return last.config;
  }
  const config: WorkerConfig = {
    restart: input.restart ?? 'on-failure',
    backoff: resolveBackoff(input.backoff),
    maxRestarts: input.maxRestarts,
    random: random ?? Math.random,
    now: now ?? Date.now,
    stopTimeoutMs: input.stopTimeoutMs ?? defaultStopTimeoutMs,
    readyTimeoutMs: input.readyTimeoutMs,
    heartbeatTimeoutMs: input.heartbeatTimeoutMs,
    attemptTimeoutMs: input.attemptTimeoutMs,
    onEvent,
    stopDeadline,
  };
  const entry: LastConfig = {
    restart: input.restart,
    backoff: config.backoff,
    maxRestarts: config.maxRestarts,
    random,
    now,
    stopTimeoutMs: input.stopTimeoutMs,
    readyTimeoutMs: input.readyTimeoutMs,
    heartbeatTimeoutMs: input.heartbeatTimeoutMs,
    attemptTimeoutMs: input.attemptTimeoutMs,
    config,
  };
  // Without a hook to tie it to, the entry outlives the worker: it keeps no user function
  // alive (a `now` reading a SimulatedClock would keep the clock and its timers).
  if (onEvent !== undefined) lastConfigs.set(onEvent, entry);
  else lastUnhooked = now === undefined && random === undefined ? entry : undefined;
  return config;
}

/** The resolved backoff `policy` is what `options` resolve to. */
function sameBackoff(resolved: BackoffPolicy, options: WorkerInput['backoff']): boolean {
  return (
    resolved.initialMs === (options?.initialMs ?? defaultBackoff.initialMs) &&
    resolved.factor === (options?.factor ?? defaultBackoff.factor) &&
    resolved.maxMs === (options?.maxMs ?? defaultBackoff.maxMs) &&
    resolved.jitter === (options?.jitter ?? defaultBackoff.jitter) &&
    resolved.resetAfterMs === options?.resetAfterMs
  );
}

function sameMaxRestarts(a: WorkerInput['maxRestarts'], b: WorkerInput['maxRestarts']): boolean {
  return a === b || (a !== undefined && b !== undefined && a.count === b.count && a.withinMs === b.withinMs);
}
