import type { DoneActorEvent, ErrorActorEvent } from 'xstate';
import type { WorkerReport, WorkerSpec } from './types.js';
import type { BranchOutput, Placed } from './tree.js';
import type { ReadyEvent } from './attempt.js';

/**
 * The group's protocol: every message between the root ({@link groupMachine}), its
 * branches ({@link branchMachine}) and the workers ({@link workerMachine}), one union per
 * receiver. Internal messages are namespaced `supervisor.*`, as XState names its own
 * `xstate.*`; the public ones are `STOP`, `ADD` and `REMOVE`.
 *
 * The tree: the root hosts only branches (`b0`, `b1`, … by number); a branch hosts at
 * most `fanOut` children, workers (`w0` … `w15`, by slot) or branches (`b0` … `b15`), so
 * every actor id and every `xstate.done.actor.<id>` event type comes from a bounded set.
 * A worker's name is data: its `systemId` and the `name` field of messages, never an id.
 *
 * Where a worker lives: the root holds a persistent index `name → (branch, position)`;
 * a position is a number below the branch's capacity (`fanOut^depth`), and its base-
 * `fanOut` digits are the slots on the way down. Freed positions are reused, so slots,
 * branch numbers and ids stay bounded however many names come and go.
 *
 * ```
 * ADD      user → root          the root picks the newest branch with room (else a new one,
 *                               fanOut × larger), a position, an order number
 *          root → branch …      supervisor.add { placed }, down the digits of the position;
 *                               the last branch spawns the worker in its slot
 * REMOVE   user → root          the name leaves the index at once (status() no longer shows it)
 *          root → branch …      supervisor.remove { position }
 *          branch → worker      STOP; the branch raises its own supervisor.stopDeadline
 *                               { slot } after the worker's stopTimeoutMs (the removal's one
 *                               deadline, cancelled when the worker ends first)
 *          branch → worker      supervisor.stopDeadline at that deadline: the wait is over
 *          worker ends          the branch frees the slot; supervisor.removed { position }
 *                               goes up, each branch on the way counts it (an emptied sub-
 *                               branch is stopped), and the root frees the position
 * finish   worker ends alone    its branch keeps the report in the slot and drops the actor;
 *                               supervisor.finished { failed } goes up to the root (live − 1;
 *                               under onGiveUp 'escalate' a failed worker stops the group)
 * STOP     user → root          group.stopping; STOP to every branch, each forwards it to
 *                               every live child; the root raises one supervisor.stopDeadline
 *                               { stopTimeoutMs } per distinct stopTimeoutMs of its workers
 *          deadline fires       root → branches → the workers whose stopTimeoutMs it is:
 *                               supervisor.stopDeadline (the worker matches nothing: its
 *                               branch chose it)
 *          workers end          a stopping branch is final once its children are, its output
 *                               the reports of its slots; the root once its branches are
 * all-done live reaches 0       under autoShutdown 'all-done' the root sends STOP to its
 *                               (idle) branches to collect their reports and ends 'done'
 * ```
 *
 * Who times a stop: the root for a group STOP (one timer per distinct stopTimeoutMs, not
 * one per worker: XState scans every pending timer of the system on each actor stop), the
 * branch for a removal, the worker itself when it runs alone (`supervise`).
 */
export type RootMessage =
  /** Stop every worker gracefully; the group ends `stopped`. */
  | { type: 'STOP' }
  /** One more worker (a name in the group, or whose old worker still stops, is ignored). */
  | { type: 'ADD'; worker: WorkerSpec }
  /** Stop one worker gracefully and drop it from the group and its report. */
  | { type: 'REMOVE'; name: string }
  /** The root's own deadline: the workers with this stopTimeoutMs wait no longer. */
  | { type: 'supervisor.stopDeadline'; stopTimeoutMs: number }
  | UpwardMessage
  | DoneActorEvent<BranchOutput>
  | ErrorActorEvent;

/** What a branch sends to its parent (a branch passes its children's on). */
export type UpwardMessage =
  /** A worker ended on its own (`failed` when supervision gave up on it). */
  | { type: 'supervisor.finished'; failed: boolean }
  /**
   * A worker's slot was freed by REMOVE: `ended` when its actor ended just now (it was live),
   * `branch` the root's number of the branch it was in.
   */
  | { type: 'supervisor.removed'; branch: number; position: number; ended: boolean }
  /** A sub-branch broke (a fault of the package): `lost` live workers with it. */
  | { type: 'supervisor.lost'; lost: number };

export type BranchMessage =
  | { type: 'STOP' }
  | { type: 'supervisor.add'; placed: Placed }
  | { type: 'supervisor.remove'; position: number }
  /**
   * A deadline passed: the root's, for every worker with this `stopTimeoutMs`, or this
   * branch's own, for the removed worker in `slot`.
   */
  | { type: 'supervisor.stopDeadline'; stopTimeoutMs: number }
  | { type: 'supervisor.stopDeadline'; slot: number }
  | UpwardMessage
  | DoneActorEvent<WorkerReport | BranchOutput>
  | ErrorActorEvent;

/** What a worker accepts (`RESTART_WINDOW_PASSED` is its own delayed event). */
export type WorkerMessage =
  /** Abort the work and wait for it to settle (up to the stop deadline), then end `stopped`. */
  | { type: 'STOP' }
  /** The wait of this stop is over: end `stopped` with `stopTimedOut: true`. */
  | { type: 'supervisor.stopDeadline' }
  | { type: 'RESTART_WINDOW_PASSED' }
  /** The attempt called `ready()` (from the work's context; carries its attempt number). */
  | ReadyEvent
  /** The worker's own watchdog timer (a delayed event with id `watchdog`): time to read the attempt's record. */
  | { type: 'supervisor.watchdog' };
