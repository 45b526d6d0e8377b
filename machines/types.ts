import type { AnyActorLogic } from 'xstate';
import type { BackoffOptions } from './backoff.js';

/**
 * What the work receives on every attempt.
 */
export interface WorkContext {
  /**
   * Aborted when the worker is asked to stop (STOP, the group's `signal`, SIGTERM/SIGINT)
   * and whenever its actor is stopped from outside. The work should settle soon after.
   */
  signal: AbortSignal;
  /** The worker's name. */
  name: string;
  /** Which attempt this is: 1 for the first start, 2 for the first restart, … */
  attempt: number;
  /**
   * "Still making progress": resets the `heartbeatTimeoutMs` watchdog, and with a value
   * other than `undefined` records it as this worker's progress (handed to the next attempt
   * as {@link WorkContext.progress}). Costs a timestamp and a store: no event, no timer,
   * no allocation, so it can be called in a hot loop. (A function property, not a method:
   * destructure it freely, it does not use `this`.)
   */
  heartbeat: (progress?: unknown) => void;
  /**
   * "Started up": ends the `readyTimeoutMs` wait (the worker moves from `attempt.starting`
   * to `attempt.running`). Only the first call of an attempt counts.
   */
  ready: () => void;
  /**
   * The last progress an earlier attempt passed to `heartbeat()`, to resume from;
   * `undefined` until one did.
   */
  progress: unknown;
}

/**
 * A worker's work: a long-running function, usually async.
 *
 * The contract (as suture's `Service`):
 * - Returning (or resolving) is a clean exit: the worker is `done` and is not restarted.
 * - Throwing anything, synchronously or as a rejection (an Error, a string, `undefined`, …),
 *   is a crash: the worker restarts it after the backoff delay. The value is reported as
 *   it was thrown (`lastError`).
 * - When `signal` aborts, the work must stop what it does and settle (return or throw).
 *   The worker waits for that, up to `stopTimeoutMs`; after that it reports
 *   `stopTimedOut: true` and no longer waits. A settlement after the abort is never a crash.
 * - Hung work (with `readyTimeoutMs`, `heartbeatTimeoutMs` or `attemptTimeoutMs`): when
 *   `ready()` or a `heartbeat()` is late, or the attempt runs too long, the worker emits
 *   `worker.hung`, aborts `signal` with a `DOMException` named `'TimeoutError'` and waits
 *   up to `stopTimeoutMs` for the work to settle. However it settles, the attempt counts as
 *   a crash with that `TimeoutError` as `lastError` (backoff, `maxRestarts`, `restart:
 *   'never'` and `onGiveUp` apply as to any crash). Work still running at `stopTimeoutMs` is
 *   **abandoned**: the worker restarts without it, emits `worker.abandoned` and counts it in
 *   `abandoned` (report and status), but JavaScript cannot kill a promise: the old attempt runs on in the process
 *   until it settles by itself. Work that must really be killed (a blocked loop, a native
 *   call) belongs in a thread or a child process (`inThread`, `inChildProcess`). A STOP
 *   while the worker waits for hung work wins: the worker stops. The watchdogs are off
 *   while the worker stops: a graceful stop is never a hang.
 */
export type Work = (context: WorkContext) => unknown;

/** How a worker is supervised. */
export interface WorkerOptions {
  /**
   * When the work is started again: `'on-failure'` after a crash; `'always'` after a
   * crash and after a clean return too (OTP permanent, systemd `Restart=always`);
   * `'never'`: a crash ends the worker `failed` (OTP temporary).
   * @default 'on-failure'
   */
  restart?: 'on-failure' | 'always' | 'never';
  /** The restart delays. */
  backoff?: BackoffOptions;
  /**
   * Gives up when the work would be restarted more than `count` times within a sliding
   * window of `withinMs` milliseconds: the worker ends `failed` (OTP's intensity/period,
   * systemd's `StartLimitBurst`/`StartLimitIntervalSec`). Restarts after a clean return
   * (`restart: 'always'`) count too. With `count: 3`, a worker that always crashes runs
   * 4 attempts; `count: 0` never restarts.
   * @default undefined (unlimited)
   */
  maxRestarts?: { count: number; withinMs: number };
  /**
   * How long STOP waits for the work to settle after its signal aborted, in milliseconds.
   * @default 10000
   */
  stopTimeoutMs?: number;
  /**
   * An attempt must call `ready()` within this many milliseconds of its start, or it is
   * hung (Kubernetes' startup probe). Until `ready()` the worker is `attempt.starting`.
   * @default undefined (no readiness deadline)
   */
  readyTimeoutMs?: number;
  /**
   * At most this many milliseconds from an attempt's start to its first `heartbeat()`, and
   * between heartbeats, or it is hung (systemd's `WatchdogSec`, Temporal's heartbeat timeout).
   * @default undefined (no heartbeat watchdog)
   */
  heartbeatTimeoutMs?: number;
  /**
   * An attempt may run at most this many milliseconds, or it is hung (Temporal's
   * start-to-close timeout). For work that runs in finite jobs, not for endless loops.
   * @default undefined (no deadline)
   */
  attemptTimeoutMs?: number;
}

/** One worker of a group: its unique name, its work and how it is supervised. */
export interface WorkerSpec extends WorkerOptions {
  /** Unique within the group; also the worker actor's `id` and `systemId`. */
  name: string;
  /**
   * A {@link Work} function, or any XState actor logic (a machine, `fromPromise`,
   * `fromCallback`, `fromObservable`, …), which gets `{ name, attempt, signal }` as its
   * input. The logic reaching a final state (or completing) is a clean return, an error is
   * a crash. On STOP a machine that handles a `STOP` event gets it and may reach a final
   * state within `stopTimeoutMs`; any other logic is stopped at once.
   */
  work: Work | AnyActorLogic;
}

/** How a worker ended. */
export interface WorkerReport {
  name: string;
  /**
   * `done`: the work returned; `stopped`: STOP ended it; `failed`: supervision gave up
   * (a crash with `restart: 'never'`, a `FatalError`, the `maxRestarts` limit, or
   * the worker actor itself broke).
   */
  outcome: 'done' | 'stopped' | 'failed';
  /** How many times the work was started. */
  attempts: number;
  /** `attempts - 1` (0 when the work never started). */
  restarts: number;
  /** The last thing the work threw, if it ever threw. */
  lastError?: unknown;
  /** STOP's wait for the work ran out (`stopTimeoutMs`). */
  stopTimedOut: boolean;
  /**
   * How many hung attempts ignored their abort past `stopTimeoutMs` and were left running
   * (present only when some were).
   */
  abandoned?: number;
}

/** How a group ended, with one report per worker in the order of the specs. */
export interface GroupReport {
  /** `stopped`: STOP ended it; `done`: every worker finished on its own. */
  outcome: 'stopped' | 'done';
  workers: WorkerReport[];
}

/** The supervision events, one discriminated union (see `onEvent`). */
export type SupervisorEvent =
  | { type: 'worker.started'; name: string; attempt: number }
  | { type: 'worker.crashed'; name: string; attempt: number; error: unknown; delayMs: number }
  | { type: 'worker.exited'; name: string; attempt: number; restartInMs?: number }
  | { type: 'worker.stopped'; name: string; attempts: number; stopTimedOut: boolean; stopTimeoutMs: number }
  | { type: 'worker.failed'; name: string; attempts: number; error: unknown }
  /** An attempt missed a deadline: its signal aborts; a `worker.crashed` or `worker.failed` follows. */
  | { type: 'worker.hung'; name: string; attempt: number; timeout: 'ready' | 'heartbeat' | 'attempt' }
  /**
   * A hung attempt did not settle within `stopTimeoutMs` after its abort: the worker goes on
   * without it (a thread or child process is killed; a promise runs on until it settles).
   * The `worker.crashed` or `worker.failed` of the hang follows.
   */
  | { type: 'worker.abandoned'; name: string; attempt: number; stopTimeoutMs: number }
  | { type: 'group.stopping'; workers: number }
  | { type: 'group.stopped'; outcome: GroupReport['outcome']; workers: number };

/** Receives every {@link SupervisorEvent} synchronously, as it happens. */
export type SupervisorEventHandler = (event: SupervisorEvent) => void;
