import {
  assign,
  enqueueActions,
  raise,
  sendParent,
  setup,
  type AnyActorRef,
  type AnyStateMachine,
  type DoneActorEvent,
  type ErrorActorEvent,
} from 'xstate';
import type {
  GroupReport,
  SupervisorEvent,
  SupervisorEventHandler,
  WorkerReport,
  WorkerSpec,
} from './types.js';
import { notify } from './notify.js';
import { defaultStopTimeoutMs, workerMachine } from './worker.js';

/**
 * The most children one group actor hosts. A larger group becomes a tree of groups:
 * XState stops a final parent's N children one by one, copying its children object each
 * time (O(N²) per parent), so a bounded fan-out keeps a group of N workers O(N·K).
 */
export const defaultFanOut = 16;

/** Input of {@link groupMachine}. */
export interface GroupInput {
  workers: readonly WorkerSpec[];
  /** Receives every worker's and the group's events synchronously. */
  onEvent?: SupervisorEventHandler | undefined;
  /** The most children one group actor hosts; more workers make a tree. @default 16 */
  fanOut?: number | undefined;
  /**
   * When a worker ends `failed`: `'isolate'` reports it and keeps its siblings running;
   * `'escalate'` stops the whole group gracefully.
   * @default 'isolate'
   */
  onGiveUp?: 'isolate' | 'escalate' | undefined;
  /** Set on the inner groups of a tree: they emit no `group.*` events and own no deadline. */
  shard?: boolean | undefined;
}

/** What a group accepts. `STOP_TIMEOUT` reaches inner groups from their parent. */
export type GroupEvent =
  | { type: 'STOP' }
  | { type: 'STOP_TIMEOUT'; stopTimeoutMs: number }
  | { type: 'STOP_DEADLINE'; stopTimeoutMs: number }
  /** A worker failed under `onGiveUp: 'escalate'`: inner groups pass it up to the root. */
  | { type: 'ESCALATE' }
  | DoneActorEvent<WorkerReport | GroupReport>
  | ErrorActorEvent;

/** The reports of one finished child: a worker's, or all of an inner group's. */
export interface Finished {
  id: string;
  reports: readonly WorkerReport[];
  rest: Finished | null;
}

export interface GroupContext {
  /** Child ids in spec order: worker names, or the ids of inner groups. */
  names: readonly string[];
  /** For a group of groups: the worker names under each child, in the order of `names`. */
  members: ReadonlyMap<string, readonly string[]> | undefined;
  /** Children not final yet. A count, so "all final?" is O(1) per event. */
  live: number;
  /**
   * Finished children, newest first. An immutable list: adding one is O(1) without copying,
   * where copying a map of N entries on each of N child events would make a group of
   * N workers O(N²) to stop (and mutating one in place would break pure transitions).
   */
  finished: Finished | null;
  stopRequested: boolean;
  /** The distinct `stopTimeoutMs` of the workers: one deadline each, owned by the root. */
  stopTimeouts: readonly number[];
  shard: boolean;
  onGiveUp: 'isolate' | 'escalate';
  onEvent: SupervisorEventHandler | undefined;
}

/** Only the root of a tree reports `group.*` events. */
function notifyGroup(context: GroupContext, event: SupervisorEvent): void {
  if (!context.shard) notify(context.onEvent, event);
}

function finishedIds(context: GroupContext): Set<string> {
  const ids = new Set<string>();
  for (let entry = context.finished; entry !== null; entry = entry.rest) ids.add(entry.id);
  return ids;
}

/** Splits N specs into at most `fanOut` chunks; a chunk larger than `fanOut` splits again. */
function chunk<T>(items: readonly T[], fanOut: number): T[][] {
  const size = Math.max(fanOut, Math.ceil(items.length / fanOut));
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

/** What STOP (or an escalated failure) does to a running group. */
const beginStop = ['markStopRequested', 'reportStopping', 'forwardStop', 'scheduleStopDeadlines'] as const;

/**
 * Hosts one {@link workerMachine} per spec (actor `id` and `systemId` = the worker's name)
 * and isolates them: every child's done and error event is handled here, so no worker can
 * put the group into an error status or stop a sibling.
 *
 * STOP is forwarded to every live worker; the group is final once every worker is final
 * (`stopped`), or, without STOP, once every worker finished on its own (`done`; an empty
 * group is `done` at once). The output is the {@link GroupReport}.
 *
 * More than `fanOut` workers (16) are hosted by inner groups of this same machine, so
 * that starting and stopping stay linear; each worker keeps its name as `systemId`. The
 * root owns the stop deadlines: one delayed event per distinct `stopTimeoutMs`, sent down
 * the tree as `STOP_TIMEOUT`, instead of one timer per stopping worker.
 *
 * Overridable with `.provide()`: the `worker` actor logic (inner groups inherit it).
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
    events: {} as GroupEvent,
    output: {} as GroupReport,
  },
  actors: { worker: workerMachine },
  guards: {
    allChildrenFinal: ({ context }) => context.live === 0,
    isInnerGroup: ({ context }) => context.shard,
    // onGiveUp: 'escalate', and the child that ended has a failed worker (an actor error
    // is one too).
    escalatesFailure: ({ context, event }) => {
      if (context.onGiveUp !== 'escalate') return false;
      if ('error' in event) return true;
      if (!('output' in event)) return false;
      const reports = 'workers' in event.output ? event.output.workers : [event.output];
      return reports.some((report) => report.outcome === 'failed');
    },
  },
  actions: {
    recordDone: assign(({ context, event }) => {
      if (!('output' in event)) return {};
      const reports = 'workers' in event.output ? event.output.workers : [event.output];
      return { live: context.live - 1, finished: { id: event.actorId, reports, rest: context.finished } };
    }),
    // A worker machine handles every fault of its work; this catches faults of a child
    // actor itself (a `.provide()`d logic that throws, say) so they stay isolated too.
    recordError: assign(({ context, event }) => {
      if (!('error' in event)) return {};
      const names = context.members?.get(event.actorId) ?? [event.actorId];
      const reports = names.map((name): WorkerReport => ({
        name,
        outcome: 'failed',
        attempts: 0,
        restarts: 0,
        lastError: event.error,
        stopTimedOut: false,
      }));
      return { live: context.live - 1, finished: { id: event.actorId, reports, rest: context.finished } };
    }),
    // Decided from context alone, so the transition stays pure (no actor is read).
    // One walk of the finished list per STOP keeps it linear.
    forwardStop: enqueueActions(({ context, enqueue }) => {
      const finished = finishedIds(context);
      for (const name of context.names) {
        if (!finished.has(name)) enqueue.sendTo(name, { type: 'STOP' });
      }
    }),
    scheduleStopDeadlines: enqueueActions(({ context, enqueue }) => {
      if (context.shard) return;
      for (const stopTimeoutMs of context.stopTimeouts) {
        enqueue.raise({ type: 'STOP_DEADLINE', stopTimeoutMs }, { delay: stopTimeoutMs });
      }
    }),
    forwardStopTimeout: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'STOP_DEADLINE' && event.type !== 'STOP_TIMEOUT') return;
      const finished = finishedIds(context);
      for (const name of context.names) {
        if (!finished.has(name)) enqueue.sendTo(name, { type: 'STOP_TIMEOUT', stopTimeoutMs: event.stopTimeoutMs });
      }
    }),
    // Handled by ESCALATE: the root stops itself, an inner group passes the word up.
    escalate: raise({ type: 'ESCALATE' }),
    passEscalationUp: sendParent({ type: 'ESCALATE' }),
    markStopRequested: assign({ stopRequested: true }),
    reportStopping: ({ context }) =>
      notifyGroup(context, { type: 'group.stopping', workers: countWorkers(context) }),
    reportStopped: ({ context }) =>
      notifyGroup(context, {
        type: 'group.stopped',
        outcome: context.stopRequested ? 'stopped' : 'done',
        workers: countWorkers(context),
      }),
  },
}).createMachine({
  id: 'group',
  // Spawning here grows linearly with the number of workers; N spawnChild actions in one
  // transition do not (see DESIGN.md, "Measured traps").
  context: ({ input, spawn, self }) => {
    const fanOut = input.fanOut ?? defaultFanOut;
    const shard = input.shard ?? false;
    const names: string[] = [];
    let members: Map<string, readonly string[]> | undefined;
    if (input.workers.length <= fanOut) {
      for (const spec of input.workers) {
        names.push(spec.name);
        spawn('worker', {
          id: spec.name,
          systemId: spec.name,
          input: { ...spec, onEvent: input.onEvent, stopDeadline: 'group' },
        });
      }
    } else {
      members = new Map();
      for (const [index, workers] of chunk(input.workers, fanOut).entries()) {
        const id = `shard-${index}`;
        names.push(id);
        members.set(id, workers.map((spec) => spec.name));
        spawnInner(spawn, self, {
          id,
          input: { workers, onEvent: input.onEvent, onGiveUp: input.onGiveUp, fanOut, shard: true },
        });
      }
    }
    return {
      names,
      members,
      live: names.length,
      finished: null,
      stopRequested: false,
      stopTimeouts: shard
        ? []
        : [...new Set(input.workers.map((spec) => spec.stopTimeoutMs ?? defaultStopTimeoutMs))],
      shard,
      onGiveUp: input.onGiveUp ?? 'isolate',
      onEvent: input.onEvent,
    };
  },
  initial: 'running',
  states: {
    running: {
      always: { guard: 'allChildrenFinal', target: 'done' },
      on: {
        STOP: { target: 'stopping', actions: beginStop },
        ESCALATE: [
          { guard: 'isInnerGroup', actions: 'passEscalationUp' },
          { target: 'stopping', actions: beginStop },
        ],
        'xstate.done.actor.*': [
          { guard: 'escalatesFailure', actions: ['recordDone', 'escalate'] },
          { actions: 'recordDone' },
        ],
        'xstate.error.actor.*': [
          { guard: 'escalatesFailure', actions: ['recordError', 'escalate'] },
          { actions: 'recordError' },
        ],
      },
    },
    stopping: {
      always: { guard: 'allChildrenFinal', target: 'stopped' },
      on: {
        STOP_DEADLINE: { actions: 'forwardStopTimeout' },
        STOP_TIMEOUT: { actions: 'forwardStopTimeout' },
        'xstate.done.actor.*': { actions: 'recordDone' },
        'xstate.error.actor.*': { actions: 'recordError' },
      },
    },
    done: { type: 'final', entry: 'reportStopped' },
    stopped: { type: 'final', entry: 'reportStopped' },
  },
  output: ({ context }) => {
    const byId = new Map<string, readonly WorkerReport[]>();
    for (let entry = context.finished; entry !== null; entry = entry.rest) byId.set(entry.id, entry.reports);
    return {
      outcome: context.stopRequested ? 'stopped' : 'done',
      workers: context.names.flatMap((name) => byId.get(name) ?? []),
    };
  },
});

/**
 * Spawns an inner group running the logic of `self`, so that whatever was `.provide()`d to
 * the root reaches every level. XState types neither `self.logic` nor spawning logic that
 * is not declared in `setup`; the running actor has both.
 */
function spawnInner(
  spawn: unknown,
  self: unknown,
  options: { id: string; input: GroupInput },
): void {
  const spawnLogic = spawn as (logic: AnyStateMachine, options: { id: string; input: GroupInput }) => AnyActorRef;
  spawnLogic((self as { logic: AnyStateMachine }).logic, options);
}

function countWorkers(context: GroupContext): number {
  if (context.members === undefined) return context.names.length;
  let count = 0;
  for (const names of context.members.values()) count += names.length;
  return count;
}
