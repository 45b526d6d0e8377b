import { createActor } from 'xstate';
import { nodeClock } from './clock.js';
import { groupMachine } from '../machines/group.js';
import type { GroupReport, SupervisorEventHandler, WorkerReport, WorkerSpec } from '../machines/types.js';
import { checkRuntimeOptions, eventHandler, runtimeOptionKeys, type InspectionObserver } from './hooks.js';
import type { Logger } from './logger.js';
import { checkBoolean, checkOneOf, checkOptions, checkSpecs, describe } from './options.js';
import { notStarted, settle } from './settle.js';
import { handleShutdownSignals } from './signals.js';

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
}

/** How `runGroup` rejects under `onGiveUp: 'escalate'`. */
export interface GroupFailure extends Error {
  report: GroupReport;
}

const shownNames = 10;

/**
 * Runs a group of supervised workers until all of them finished on their own
 * (`outcome: 'done'`) or until it is stopped (`signal`, SIGTERM/SIGINT): then every
 * worker's signal aborts and the group waits for each work to settle (up to its
 * `stopTimeoutMs`) before it resolves with `outcome: 'stopped'`. One worker crashing
 * never disturbs another: it is restarted after its backoff delay.
 *
 * Rejects with a `TypeError`/`RangeError` naming the option for bad input, before
 * anything starts.
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
  const workers = checkSpecs(specs);
  const raw = checkOptions(options, [...runtimeOptionKeys, 'installSignals', 'onGiveUp']);
  const { signal, logger, inspect, onEvent } = checkRuntimeOptions(raw);
  const installSignals = checkBoolean(raw.installSignals, 'installSignals', true);
  const onGiveUp = raw.onGiveUp === undefined ? 'isolate' : checkOneOf(raw.onGiveUp, 'onGiveUp', ['isolate', 'escalate']);

  if (signal?.aborted) {
    return { outcome: 'stopped', workers: workers.map(({ name }) => notStarted(name)) };
  }
  if (logger !== false && workers.length > 0) {
    const names = workers.slice(0, shownNames).map((worker) => worker.name).join(', ');
    const more = workers.length > shownNames ? `, … (${workers.length - shownNames} more)` : '';
    logger.info(`group: hosting ${workers.length} workers: ${names}${more}`);
  }
  const actor = createActor(groupMachine, {
    input: { workers, onGiveUp, onEvent: eventHandler(logger, onEvent) },
    clock: nodeClock,
    ...(inspect === undefined ? {} : { inspect }),
  });
  const uninstall = installSignals
    ? handleShutdownSignals((received) => {
        if (logger !== false) logger.info(`received ${received}; stopping gracefully (send it again to exit at once)`);
        actor.send({ type: 'STOP' });
      })
    : () => undefined;
  const report = await settle(actor, signal, uninstall);
  const failed = report.workers.find((worker) => worker.outcome === 'failed');
  if (onGiveUp === 'escalate' && failed !== undefined) throw groupFailure(failed, report);
  return report;
}

function groupFailure(failed: WorkerReport, report: GroupReport): GroupFailure {
  const { lastError } = failed;
  const cause = !('lastError' in failed) ? '' : `: ${lastError instanceof Error ? `${lastError.name}: ${lastError.message}` : describe(lastError)}`;
  const error = new Error(
    `worker '${failed.name}' failed after ${failed.attempts} attempt${failed.attempts === 1 ? '' : 's'}${cause}; the group was stopped (onGiveUp: 'escalate')`,
    { cause: failed.lastError },
  ) as GroupFailure;
  error.report = report;
  return error;
}
