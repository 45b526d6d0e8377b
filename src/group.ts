import { createActor } from 'xstate';
import { nodeClock } from './clock.js';
import { groupMachine } from '../machines/group.js';
import type { GroupReport, SupervisorEventHandler, WorkerSpec } from '../machines/types.js';
import { checkRuntimeOptions, eventHandler, runtimeOptionKeys, type InspectionObserver } from './hooks.js';
import type { Logger } from './logger.js';
import { checkBoolean, checkOptions, checkSpecs } from './options.js';
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
  const raw = checkOptions(options, [...runtimeOptionKeys, 'installSignals']);
  const { signal, logger, inspect, onEvent } = checkRuntimeOptions(raw);
  const installSignals = checkBoolean(raw.installSignals, 'installSignals', true);

  if (signal?.aborted) {
    return { outcome: 'stopped', workers: workers.map(({ name }) => notStarted(name)) };
  }
  if (logger !== false && workers.length > 0) {
    const names = workers.slice(0, shownNames).map((worker) => worker.name).join(', ');
    const more = workers.length > shownNames ? `, … (${workers.length - shownNames} more)` : '';
    logger.info(`group: hosting ${workers.length} workers: ${names}${more}`);
  }
  const actor = createActor(groupMachine, {
    input: { workers, onEvent: eventHandler(logger, onEvent) },
    clock: nodeClock,
    ...(inspect === undefined ? {} : { inspect }),
  });
  const uninstall = installSignals
    ? handleShutdownSignals((received) => {
        if (logger !== false) logger.info(`received ${received}; stopping gracefully (send it again to exit at once)`);
        actor.send({ type: 'STOP' });
      })
    : () => undefined;
  return settle(actor, signal, uninstall);
}
