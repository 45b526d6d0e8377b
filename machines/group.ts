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
import { defaultStopTimeoutMs, workerMachine, type WorkerInput } from './worker.js';

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
  /** The time source of `nextAttemptAt` in the workers' status. @default Date.now */
  now?: (() => number) | undefined;
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
  /** Starts one more worker (its name must be new to the group). */
  | { type: 'ADD'; worker: WorkerSpec }
  /** Stops one worker gracefully (it times its own stop) and drops it from the report. */
  | { type: 'REMOVE'; name: string }
  | DoneActorEvent<WorkerReport | GroupReport>
  | ErrorActorEvent;

/** The reports of one finished child: a worker's, or all of an inner group's. */
export interface Finished {
  id: string;
  reports: readonly WorkerReport[];
  rest: Finished | null;
}

export interface GroupContext {
  /** Child ids in spec order: worker names and the ids of inner groups. */
  names: readonly string[];
  /** The worker names under each inner group among `names` (a worker child has no entry). */
  members: ReadonlyMap<string, readonly string[]>;
  /** The number of the next inner group spawned (`shard-N`). */
  nextShard: number;
  fanOut: number;
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
  now: (() => number) | undefined;
}

/** Only the root of a tree reports `group.*` events. */
function notifyGroup(context: GroupContext, event: SupervisorEvent): void {
  if (!context.shard) notify(context.onEvent, event);
}

/** The children not final yet, in order: one walk of the finished list. */
function liveChildren(context: GroupContext): string[] {
  const finished = finishedIds(context);
  return context.names.filter((name) => !finished.has(name));
}

function finishedIds(context: GroupContext): Set<string> {
  const ids = new Set<string>();
  for (let entry = context.finished; entry !== null; entry = entry.rest) ids.add(entry.id);
  return ids;
}

/** The finished list without the entry of `id` (a copy of the entries before it). */
function withoutFinished(list: Finished | null, id: string): Finished | null {
  if (list === null) return null;
  if (list.id === id) return list.rest;
  return { ...list, rest: withoutFinished(list.rest, id) };
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
 * `ADD` spawns one more worker as a child of this group (a name in use is ignored);
 * `REMOVE` stops one worker (it times its own stop) and drops it from the report. With
 * `onGiveUp: 'escalate'`, a worker ending `failed` stops the whole group (`ESCALATE`,
 * passed up the tree to the root).
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
      const names = context.members.get(event.actorId) ?? [event.actorId];
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
      for (const name of liveChildren(context)) enqueue.sendTo(name, { type: 'STOP' });
    }),
    scheduleStopDeadlines: enqueueActions(({ context, enqueue }) => {
      if (context.shard) return;
      for (const stopTimeoutMs of context.stopTimeouts) {
        enqueue.raise({ type: 'STOP_DEADLINE', stopTimeoutMs }, { delay: stopTimeoutMs });
      }
    }),
    forwardStopTimeout: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'STOP_DEADLINE' && event.type !== 'STOP_TIMEOUT') return;
      for (const name of liveChildren(context)) {
        enqueue.sendTo(name, { type: 'STOP_TIMEOUT', stopTimeoutMs: event.stopTimeoutMs });
      }
    }),
    // Handled by ESCALATE: the root stops itself, an inner group passes the word up.
    escalate: raise({ type: 'ESCALATE' }),
    passEscalationUp: sendParent({ type: 'ESCALATE' }),
    markStopRequested: assign({ stopRequested: true }),
    // An added worker is a child of the group that got ADD (no routing into inner groups,
    // which may end while the event is on its way). A name that is already the id of an
    // inner group here (`shard-0`) gets an inner group of its own.
    addWorker: enqueueActions(({ context, event, enqueue, self, system }) => {
      if (event.type !== 'ADD') return;
      const spec = event.worker;
      // A name in use (a live worker anywhere in the system, or a finished one here) is
      // ignored: `startGroup`'s add() refuses it with an error before sending.
      if (system.get(spec.name) !== undefined) return;
      const own = !context.names.includes(spec.name);
      if (!own && !context.members.has(spec.name)) return;
      const shardNumber = own ? context.nextShard : freeShardNumber(context);
      const id = own ? spec.name : `shard-${shardNumber}`;
      enqueue.assign(({ spawn }) => {
        if (own) spawnWorker(spawn, spec, context);
        else {
          spawnInner(spawn, self, {
            id,
            input: {
              workers: [spec], onEvent: context.onEvent, onGiveUp: context.onGiveUp, now: context.now,
              fanOut: context.fanOut, shard: true,
            },
          });
        }
        return {
          names: [...context.names, id],
          members: own ? context.members : new Map(context.members).set(id, [spec.name]),
          nextShard: own ? context.nextShard : shardNumber + 1,
          live: context.live + 1,
          stopTimeouts: context.shard ? context.stopTimeouts : distinctStopTimeouts(context.stopTimeouts, [spec]),
        };
      });
    }),
    // The worker stops with its own deadline (the group holds none for one worker) and
    // leaves `names`, so it is neither stopped again nor in the report.
    removeWorker: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'REMOVE') return;
      const { name } = event;
      if (context.names.includes(name) && !context.members.has(name)) {
        const names = context.names.filter((id) => id !== name);
        if (finishedIds(context).has(name)) {
          // Forget its report too, so that the name can be added again.
          enqueue.assign({ names, finished: withoutFinished(context.finished, name) });
        } else {
          enqueue.sendTo(name, { type: 'STOP', deadline: 'own' });
          enqueue.assign({ names });
        }
        return;
      }
      for (const [id, workers] of context.members) {
        if (!workers.includes(name)) continue;
        enqueue.assign({ members: new Map(context.members).set(id, workers.filter((worker) => worker !== name)) });
        enqueue.sendTo(id, event);
        return;
      }
    }),
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
    const members = new Map<string, readonly string[]>();
    if (input.workers.length <= fanOut) {
      for (const spec of input.workers) {
        names.push(spec.name);
        spawnWorker(spawn, spec, input);
      }
    } else {
      for (const [index, workers] of chunk(input.workers, fanOut).entries()) {
        const id = `shard-${index}`;
        names.push(id);
        members.set(id, workers.map((spec) => spec.name));
        spawnInner(spawn, self, { id, input: { ...input, workers, shard: true } });
      }
    }
    return {
      names,
      members,
      nextShard: members.size,
      fanOut,
      live: names.length,
      finished: null,
      stopRequested: false,
      stopTimeouts: shard ? [] : distinctStopTimeouts([], input.workers),
      shard,
      onGiveUp: input.onGiveUp ?? 'isolate',
      onEvent: input.onEvent,
      now: input.now,
    };
  },
  initial: 'running',
  states: {
    running: {
      always: { guard: 'allChildrenFinal', target: 'done' },
      on: {
        STOP: { target: 'stopping', actions: beginStop },
        ADD: { actions: 'addWorker' },
        REMOVE: { actions: 'removeWorker' },
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
      workers: context.names.flatMap((id) => currentReports(context, id, byId.get(id) ?? [])),
    };
  },
});

/**
 * The reports of child `id` for workers still in the group: an inner group's report may
 * hold workers removed after it finished (REMOVE updates `members` at once).
 */
export function currentReports(context: GroupContext, id: string, reports: readonly WorkerReport[]): readonly WorkerReport[] {
  const workers = context.members.get(id);
  if (workers === undefined || workers.length === reports.length) return reports;
  const kept = new Set(workers);
  return reports.filter((report) => kept.has(report.name));
}

/** The number of an inner group id that no child of this group has (a worker may be named `shard-3`). */
function freeShardNumber(context: GroupContext): number {
  let next = context.nextShard;
  while (context.names.includes(`shard-${next}`)) next += 1;
  return next;
}

/** The `stopTimeoutMs` values of `known` and `specs`, each once. */
function distinctStopTimeouts(known: readonly number[], specs: readonly WorkerSpec[]): readonly number[] {
  const all = new Set(known);
  for (const spec of specs) all.add(spec.stopTimeoutMs ?? defaultStopTimeoutMs);
  return all.size === known.length ? known : [...all];
}

type Spawner = (src: 'worker', options: { id: string; systemId: string; input: WorkerInput }) => AnyActorRef;

/** Spawns one worker: the group times its stop (one deadline per stop timeout, at the root). */
function spawnWorker(spawn: unknown, spec: WorkerSpec, input: Pick<GroupInput, 'onEvent' | 'now'>): void {
  (spawn as Spawner)('worker', {
    id: spec.name,
    systemId: spec.name,
    input: workerInput(spec, input),
  });
}

/**
 * A worker's input, as one object literal: a spread (`{ ...spec, … }`) gave each of N
 * workers an object of its own hidden class in V8, about 200 bytes more per worker.
 */
function workerInput(spec: WorkerSpec, input: Pick<GroupInput, 'onEvent' | 'now'>): WorkerInput {
  // An option left out is `undefined` here, which the worker reads as "the default".
  const fields = {
    name: spec.name,
    work: spec.work,
    restart: spec.restart,
    backoff: spec.backoff,
    maxRestarts: spec.maxRestarts,
    stopTimeoutMs: spec.stopTimeoutMs,
    readyTimeoutMs: spec.readyTimeoutMs,
    heartbeatTimeoutMs: spec.heartbeatTimeoutMs,
    attemptTimeoutMs: spec.attemptTimeoutMs,
    onEvent: input.onEvent,
    now: input.now,
    stopDeadline: 'group',
  } as const;
  return fields as WorkerInput;
}

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
  let count = 0;
  for (const name of context.names) count += context.members.get(name)?.length ?? 1;
  return count;
}
