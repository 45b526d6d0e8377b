import { createActor } from 'xstate';
import { nodeClock } from './clock.js';
import { workerMachine } from '../machines/worker.js';
import { installIndexedScheduler } from '../machines/scheduler.js';
import type { SupervisorEventHandler, WorkerOptions, WorkerReport, WorkerSpec } from '../machines/types.js';
import { checkRuntimeOptions, eventHandler, runtimeOptionKeys, type InspectionObserver } from './hooks.js';
import type { Logger } from './logger.js';
import { checkName, checkOptions, checkWork, checkWorkerOptions, workerOptionKeys } from './options.js';
import { notStarted, settle } from './settle.js';

/** Options of {@link supervise}. */
export interface SuperviseOptions extends WorkerOptions {
  /** Aborting it stops the worker gracefully (as STOP). */
  signal?: AbortSignal;
  /** Where supervision logs go; `false` silences them. @default a logger writing to stderr */
  logger?: Logger | false;
  /** Handed to `createActor`: sees the worker and its work actors. */
  inspect?: InspectionObserver;
  /** Receives the worker's lifecycle events. */
  onEvent?: SupervisorEventHandler;
}

/**
 * Supervises one worker until its work returns (`done`) or `signal` aborts (`stopped`):
 * every crash restarts the work after an exponential backoff (1 s, ×2, capped at 30 s).
 * Does not touch process signals; pass `signal` to stop it.
 *
 * Rejects with a `TypeError`/`RangeError` naming the option for bad input, before
 * anything starts.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const report = await supervise('poller', async ({ signal }) => {
 *   while (!signal.aborted) await pollOnce(signal);
 * }, { signal: controller.signal });
 * ```
 */
export async function supervise(name: string, work: WorkerSpec['work'], options?: SuperviseOptions): Promise<WorkerReport> {
  checkName(name, 'name');
  checkWork(work, 'work');
  const raw = checkOptions(options, [...workerOptionKeys, ...runtimeOptionKeys]);
  const workerOptions = checkWorkerOptions(raw, '');
  const { signal, logger, inspect, onEvent } = checkRuntimeOptions(raw);

  if (signal?.aborted) return notStarted(name);
  const actor = createActor(workerMachine, {
    input: { name, work, ...workerOptions, onEvent: eventHandler(logger, onEvent) },
    clock: nodeClock,
    ...(inspect === undefined ? {} : { inspect }),
  });
  installIndexedScheduler(actor); // an actor stop cancels its own timers, not a scan of the system's
  return settle(actor, signal, () => undefined);
}
