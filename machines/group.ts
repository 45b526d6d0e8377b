import { assign, enqueueActions, setup, type DoneActorEvent, type ErrorActorEvent } from 'xstate';
import type {
  GroupReport,
  SupervisorEvent,
  SupervisorEventHandler,
  WorkerReport,
  WorkerSpec,
} from './types.js';
import { workerMachine } from './worker.js';

/** Input of {@link groupMachine}. */
export interface GroupInput {
  workers: readonly WorkerSpec[];
  /** Receives every worker's and the group's events synchronously. */
  onEvent?: SupervisorEventHandler | undefined;
}

export interface Finished {
  report: WorkerReport;
  rest: Finished | null;
}

export interface GroupContext {
  /** Worker names in spec order: the order of the report. */
  names: readonly string[];
  /** Workers not final yet. A count, so "all final?" is O(1) per event. */
  live: number;
  /**
   * Final reports, newest first. An immutable list: adding one is O(1) without copying,
   * where copying a map of N entries on each of N child events would make a group of
   * N workers O(N²) to stop (and mutating one in place would break pure transitions).
   */
  finished: Finished | null;
  stopRequested: boolean;
  onEvent: SupervisorEventHandler | undefined;
}

function notify(context: GroupContext, event: SupervisorEvent): void {
  if (!context.onEvent) return;
  try {
    context.onEvent(event);
  } catch (error) {
    console.error(`xstate-supervisor: onEvent threw on ${event.type}:`, error);
  }
}

/**
 * Hosts one {@link workerMachine} per spec (actor `id` and `systemId` = the worker's name)
 * and isolates them: every child's done and error event is handled here, so no worker can
 * put the group into an error status or stop a sibling.
 *
 * STOP is forwarded to every live worker; the group is final once every worker is final
 * (`stopped`), or, without STOP, once every worker finished on its own (`done`; an empty
 * group is `done` at once). The output is the {@link GroupReport}.
 *
 * Overridable with `.provide()`: the `worker` actor logic.
 *
 * @example
 * ```ts
 * const group = createActor(groupMachine, { input: { workers: [{ name: 'a', work }] } });
 * group.subscribe({ complete: () => console.log(group.getSnapshot().output) });
 * group.start();
 * group.send({ type: 'STOP' });
 * ```
 */
export const groupMachine = setup({
  types: {
    input: {} as GroupInput,
    context: {} as GroupContext,
    // The workers' done/error events are listed so the wildcard handlers are typed.
    events: {} as { type: 'STOP' } | DoneActorEvent<WorkerReport> | ErrorActorEvent,
    output: {} as GroupReport,
  },
  actors: { worker: workerMachine },
  guards: {
    allWorkersFinal: ({ context }) => context.live === 0,
  },
  actions: {
    recordDone: assign(({ context, event }) =>
      'output' in event
        ? { live: context.live - 1, finished: { report: event.output, rest: context.finished } }
        : {},
    ),
    // A worker machine handles every fault of its work; this catches faults of the worker
    // actor itself (a `.provide()`d logic that throws, say) so they stay isolated too.
    recordError: assign(({ context, event }) => {
      if (!('error' in event)) return {};
      const report: WorkerReport = {
        name: event.actorId,
        outcome: 'failed',
        attempts: 0,
        restarts: 0,
        lastError: event.error,
        stopTimedOut: false,
      };
      return { live: context.live - 1, finished: { report, rest: context.finished } };
    }),
    // Decided from context alone, so the transition stays pure (no actor is read).
    // One walk of the finished list per STOP keeps it linear.
    forwardStop: enqueueActions(({ context, enqueue }) => {
      const finished = new Set<string>();
      for (let entry = context.finished; entry !== null; entry = entry.rest) finished.add(entry.report.name);
      for (const name of context.names) {
        if (!finished.has(name)) enqueue.sendTo(name, { type: 'STOP' });
      }
    }),
    reportStopping: ({ context }) =>
      notify(context, { type: 'group.stopping', workers: context.names.length }),
    reportStopped: ({ context }) =>
      notify(context, {
        type: 'group.stopped',
        outcome: context.stopRequested ? 'stopped' : 'done',
        workers: context.names.length,
      }),
  },
}).createMachine({
  id: 'group',
  // Spawning here grows linearly with the number of workers; N spawnChild actions in one
  // transition do not (see DESIGN.md, "Measured traps").
  context: ({ input, spawn }) => {
    const names: string[] = [];
    for (const spec of input.workers) {
      names.push(spec.name);
      spawn('worker', {
        id: spec.name,
        systemId: spec.name,
        input: { ...spec, onEvent: input.onEvent },
      });
    }
    return {
      names,
      live: names.length,
      finished: null,
      stopRequested: false,
      onEvent: input.onEvent,
    };
  },
  initial: 'running',
  states: {
    running: {
      always: { guard: 'allWorkersFinal', target: 'done' },
      on: {
        STOP: {
          target: 'stopping',
          actions: [assign({ stopRequested: true }), 'reportStopping', 'forwardStop'],
        },
        'xstate.done.actor.*': { actions: 'recordDone' },
        'xstate.error.actor.*': { actions: 'recordError' },
      },
    },
    stopping: {
      always: { guard: 'allWorkersFinal', target: 'stopped' },
      on: {
        'xstate.done.actor.*': { actions: 'recordDone' },
        'xstate.error.actor.*': { actions: 'recordError' },
      },
    },
    done: { type: 'final', entry: 'reportStopped' },
    stopped: { type: 'final', entry: 'reportStopped' },
  },
  output: ({ context }) => {
    const reports = new Map<string, WorkerReport>();
    for (let entry = context.finished; entry !== null; entry = entry.rest) {
      reports.set(entry.report.name, entry.report);
    }
    return {
      outcome: context.stopRequested ? 'stopped' : 'done',
      workers: context.names.map((name) => reports.get(name)!),
    };
  },
});
