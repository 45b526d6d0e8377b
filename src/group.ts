import { createActor, type Actor, type AnyActorRef } from 'xstate';
import { nodeClock } from './clock.js';
import { groupMachine, locate } from '../machines/group.js';
import { installIndexedScheduler } from '../machines/scheduler.js';
import { failedReport, slotAt } from '../machines/tree.js';
import type { GroupReport, SupervisorEventHandler, WorkerReport, WorkerSpec } from '../machines/types.js';
import { checkRuntimeOptions, eventHandler, runtimeOptionKeys, type InspectionObserver } from './hooks.js';
import { count, type Logger } from './logger.js';
import { checkBoolean, checkName, checkOneOf, checkOptions, checkSpec, checkSpecs, describe, summarize } from './options.js';
import { groupMembers, memberStatus, type GroupMember, type WorkerStatus } from '../machines/status.js';
import { GroupObserver, registerObserver } from './observe.js';
import { notStarted, reportAtStop, settle } from './settle.js';
import { handleShutdownSignals } from './signals.js';
import { groupFailureBrand } from './group-failure.js';

/** Options of {@link runGroup}. */
export interface RunGroupOptions {
  /** Aborting it stops the group gracefully (as STOP). An already aborted signal runs no work. */
  signal?: AbortSignal;
  /**
   * SIGTERM and SIGINT stop the group gracefully; a second one exits the process at once
   * with 128 + the signal's number. The handlers are removed when the promise settles.
   * @default true
   */
  installSignals?: boolean;
  /** Where supervision logs go; `false` silences them. @default a logger writing to stderr */
  logger?: Logger | false;
  /** Handed to `createActor`: sees the group, every worker and their work actors. */
  inspect?: InspectionObserver;
  /** Receives every worker's and the group's events, synchronously and in order. */
  onEvent?: SupervisorEventHandler;
  /**
   * What a worker ending `failed` (restart `'never'`, `maxRestarts`, a `FatalError`) does to
   * the group: `'isolate'` reports it and keeps its siblings running; `'escalate'` stops
   * every other worker gracefully, then `runGroup` rejects with an Error whose `report` is
   * the GroupReport, so the process can exit non-zero and let systemd or Kubernetes
   * restart it.
   * @default 'isolate'
   */
  onGiveUp?: 'isolate' | 'escalate';
  /**
   * When the group ends without STOP: `'all-done'` once every worker finished on its own
   * (an empty group at once, or when `remove()` takes its last worker); `'never'`: it runs
   * until it is stopped, with or without workers, so `startGroup([], { autoShutdown:
   * 'never' })` plus `add()` is a dynamic supervisor (OTP's `auto_shutdown => never`).
   * @default 'all-done'
   */
  autoShutdown?: 'all-done' | 'never';
}

/** How `runGroup` rejects under `onGiveUp: 'escalate'`. */
export interface GroupFailure extends Error {
  report: GroupReport;
}

const shownNames = 10;

/** A running group, returned by {@link startGroup}. */
export interface GroupHandle {
  /** The root group actor: subscribe to it, or send it `STOP`, `ADD`, `REMOVE` yourself. */
  readonly actor: Actor<typeof groupMachine>;
  /** Settles as `runGroup`'s promise does: the GroupReport, or a `GroupFailure` under escalation. */
  readonly done: Promise<GroupReport>;
  /** Stops the group gracefully (as SIGTERM) and resolves with the GroupReport. */
  stop(): Promise<GroupReport>;
  /**
   * Starts one more supervised worker. Throws a `TypeError`/`RangeError` for a bad spec or
   * a name already in the group (nothing changes); an `Error` while a worker removed under
   * that name is still stopping, and once the group is stopping (also from `onEvent` on
   * `group.stopping`) or has ended.
   */
  add(spec: WorkerSpec): void;
  /**
   * Stops one worker gracefully (its signal aborts, its work is awaited up to its
   * `stopTimeoutMs`), drops it from the group at once (from `status()` and the report), and
   * resolves with its WorkerReport. A worker that already finished is dropped and its report
   * returned at once. Rejects with a `RangeError` for a name not in the group (a second
   * `remove()` of one name too), and with an `Error` once the group is stopping: the group's
   * stop then stops that worker, and the group's report has it.
   */
  remove(name: string): Promise<WorkerReport>;
  /** One entry per worker, in order: its state, attempts, restarts, last error, next attempt. */
  status(): WorkerStatus[];
}

/**
 * Starts a group of supervised workers and returns a handle to steer and watch it:
 * `add()` and `remove()` workers while it runs, read `status()`, `stop()` it, await `done`.
 * Takes the same specs and options as {@link runGroup}, which is `startGroup(…).done`.
 *
 * Throws a `TypeError`/`RangeError` naming the option for bad input, before anything starts.
 *
 * @example
 * ```ts
 * const group = startGroup([{ name: 'consumer', work: consume }], { logger: false });
 * group.add({ name: 'poller', work: poll, backoff: { maxMs: 10_000 } });
 * console.table(group.status());
 * const report = await group.remove('poller');
 * await group.stop();
 * ```
 */
export function startGroup(specs: readonly WorkerSpec[], options?: RunGroupOptions): GroupHandle {
  const workers = checkSpecs(specs);
  const raw = checkOptions(options, [...runtimeOptionKeys, 'installSignals', 'onGiveUp', 'autoShutdown']);
  const { signal, logger, inspect, onEvent } = checkRuntimeOptions(raw);
  const installSignals = checkBoolean(raw.installSignals, 'installSignals', true);
  const onGiveUp = raw.onGiveUp === undefined ? 'isolate' : checkOneOf(raw.onGiveUp, 'onGiveUp', ['isolate', 'escalate']);
  const autoShutdown =
    raw.autoShutdown === undefined ? 'all-done' : checkOneOf(raw.autoShutdown, 'autoShutdown', ['all-done', 'never']);

  const observer = new GroupObserver();
  const handler = eventHandler(logger, onEvent);
  // The phase as the events tell it: `group.stopping` reaches onEvent inside the root's
  // transition, before its snapshot says 'stopping', and add()/remove() called from there
  // must already see it.
  let phase: 'running' | 'stopping' | 'ended' = 'running';
  const actor = createActor(groupMachine, {
    input: {
      workers,
      onGiveUp,
      autoShutdown,
      onEvent: (event) => {
        if (event.type === 'group.stopping') phase = 'stopping';
        else if (event.type === 'group.stopped') phase = 'ended';
        observer.handle(event);
        handler?.(event);
      },
    },
    clock: nodeClock,
    ...(inspect === undefined ? {} : { inspect }),
  });
  installIndexedScheduler(actor); // an actor stop cancels its own timers, not a scan of the system's
  // An already aborted signal runs no work: the actor is never started.
  const notRun: GroupReport | undefined = signal?.aborted
    ? { outcome: 'stopped', workers: workers.map(({ name }) => notStarted(name)) }
    : undefined;

  let done: Promise<GroupReport>;
  if (notRun !== undefined) {
    done = Promise.resolve(notRun);
  } else {
    if (logger !== false && workers.length > 0) {
      const names = workers.slice(0, shownNames).map((worker) => worker.name).join(', ');
      const more = workers.length > shownNames ? `, … (${workers.length - shownNames} more)` : '';
      logger.info({ workers: workers.length }, `group: hosting ${count(workers.length, 'worker')}: ${names}${more}`);
    }
    const uninstall = installSignals
      ? handleShutdownSignals((received) => {
          if (logger !== false) logger.info({ signal: received }, `received ${received}; stopping gracefully (send it again to exit at once)`);
          actor.send({ type: 'STOP' });
        })
      : () => undefined;
    done = settle(actor, signal, uninstall).then((report) => {
      const failed = report.workers.find((worker) => worker.outcome === 'failed');
      if (onGiveUp === 'escalate' && failed !== undefined) throw groupFailure(failed, report);
      return report;
    });
    // The tree was built from the checked copies as the actor started. XState keeps the
    // root's input (and each branch's, which hold ranges over this array) for the group's
    // life: emptying it frees a copy of every spec, options and all, per worker.
    workers.length = 0;
  }

  const members = (): GroupMember[] => {
    // Not run, or stopped with actor.stop() (its children are gone): the report's workers.
    const reported = notRun ?? reportAtStop(actor);
    if (reported !== undefined) return reported.workers.map((report) => ({ name: report.name, report, actor: undefined }));
    return groupMembers(actor);
  };
  /** Why the group takes no ADD/REMOVE now, or undefined while it runs. */
  const notRunning = (): string | undefined => {
    if (notRun !== undefined) return 'it was stopped before it started';
    const snapshot = actor.getSnapshot();
    if (phase === 'ended' || snapshot.status !== 'active') return 'it has ended';
    return phase === 'running' && snapshot.value === 'running' ? undefined : 'it is stopping';
  };

  const handle: GroupHandle = {
    actor,
    done,
    stop() {
      actor.send({ type: 'STOP' });
      return done;
    },
    add(spec) {
      const worker = checkSpec(spec, 'spec');
      const why = notRunning();
      if (why !== undefined) throw new Error(`Cannot add worker ${describe(worker.name)} to the group: ${why}`);
      // O(log N): the root's index, not a walk of the tree.
      if (locate(actor.getSnapshot().context.index, worker.name) !== undefined) {
        throw new TypeError(`Expected \`spec.name\` to be a name not in use in the group, got ${describe(worker.name)}`);
      }
      // Its systemId is still registered: the worker removed under this name still stops.
      if (actor.system.get(worker.name) !== undefined) {
        throw new Error(`Cannot add worker ${describe(worker.name)} to the group: the worker removed under that name is still stopping`);
      }
      actor.send({ type: 'ADD', worker });
    },
    async remove(name) {
      checkName(name, 'name');
      const why = notRunning();
      if (why !== undefined) throw new Error(`Cannot remove worker ${describe(name)} from the group: ${why}`);
      const snapshot = actor.getSnapshot();
      const location = locate(snapshot.context.index, name);
      if (location === undefined) {
        throw new RangeError(`Expected \`name\` to be the name of a worker in the group, got ${describe(name)}`);
      }
      const slot = slotAt(snapshot.children, location.branch, location.position);
      const worker = slot?.report === undefined ? (actor.system.get(name) as AnyActorRef | undefined) : undefined;
      if (worker === undefined) {
        actor.send({ type: 'REMOVE', name });
        observer.forget(name);
        return slot?.report ?? notStarted(name);
      }
      const removed = new Promise<WorkerReport>((resolve) => {
        worker.subscribe({
          complete: () => resolve((worker.getSnapshot() as { output: WorkerReport }).output),
          // A worker actor that itself breaks (a .provide()d logic) is reported failed, as the group does.
          error: (error: unknown) => resolve(failedReport(name, error)),
        });
      });
      actor.send({ type: 'REMOVE', name });
      observer.forget(name);
      return removed;
    },
    status: () => members().map(memberStatus),
  };
  registerObserver(handle, observer);
  return handle;
}

/**
 * Runs a group of supervised workers until all of them finished on their own
 * (`outcome: 'done'`) or until it is stopped (`signal`, SIGTERM/SIGINT): then every
 * worker's signal aborts and the group waits for each work to settle (up to its
 * `stopTimeoutMs`) before it resolves with `outcome: 'stopped'`. One worker crashing
 * never disturbs another: it is restarted after its backoff delay.
 *
 * The same as `startGroup(specs, options).done`. Rejects with a `TypeError`/`RangeError`
 * naming the option for bad input, before anything starts.
 *
 * @example
 * ```ts
 * const report = await runGroup([
 *   { name: 'consumer', work: ({ signal }) => consume(queue, signal) },
 *   { name: 'poller', work: ({ signal }) => poll(url, signal), backoff: { maxMs: 10_000 } },
 * ]);
 * // SIGTERM → every work's signal aborts → report.outcome === 'stopped'
 * ```
 */
export async function runGroup(specs: readonly WorkerSpec[], options?: RunGroupOptions): Promise<GroupReport> {
  return startGroup(specs, options).done;
}

function groupFailure(failed: WorkerReport, report: GroupReport): GroupFailure {
  const cause = 'lastError' in failed ? `: ${summarize(failed.lastError)}` : '';
  const error = new Error(
    `worker '${failed.name}' failed after ${failed.attempts} attempt${failed.attempts === 1 ? '' : 's'}${cause}; the group was stopped (onGiveUp: 'escalate')`,
    { cause: failed.lastError },
  ) as GroupFailure;
  error.report = report;
  Object.defineProperty(error, groupFailureBrand, { value: true });
  return error;
}
