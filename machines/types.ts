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
  | { type: 'group.stopping'; workers: number }
  | { type: 'group.stopped'; outcome: GroupReport['outcome']; workers: number };

/** Receives every {@link SupervisorEvent} synchronously, as it happens. */
export type SupervisorEventHandler = (event: SupervisorEvent) => void;
