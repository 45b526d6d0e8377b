import {
  assign,
  enqueueActions,
  setup,
  type AnyActorLogic,
  type AnyActorRef,
  type AnyStateMachine,
} from 'xstate';
import { branchMachine, type BranchInput } from './branch.js';
import type { RootMessage } from './messages.js';
import { changeName, lookupName, type NameIndex } from './names.js';
import { notify } from './notify.js';
import { branchId, breakBranch, placementOf, failedReport, slotOf, walkTree, type BranchOutput, type BranchSlot, type Placed, type Placement } from './tree.js';
import type { GroupReport, SupervisorEventHandler, WorkerSpec } from './types.js';
import { defaultStopTimeoutMs, workerMachine } from './worker.js';

/**
 * The most children one branch hosts. XState stops a final parent's N children one by one,
 * copying its children object each time, and caches transitions per event type (one per
 * child id): a bounded fan-out with ids of the package's own keeps both bounded.
 */
export const defaultFanOut = 16;

/** Input of {@link groupMachine}. */
export interface GroupInput {
  /** The workers it starts with; each name non-empty and unique. */
  workers: readonly WorkerSpec[];
  /** Receives every worker's and the group's events synchronously. */
  onEvent?: SupervisorEventHandler | undefined;
  /**
   * When a worker ends `failed`: `'isolate'` reports it and keeps its siblings running;
   * `'escalate'` stops the whole group gracefully.
   * @default 'isolate'
   */
  onGiveUp?: 'isolate' | 'escalate' | undefined;
  /**
   * `'all-done'`: the group ends `done` once every worker finished on its own (an empty
   * group at once); `'never'`: it runs until STOP, with or without workers (a dynamic
   * supervisor, OTP's `auto_shutdown => never`).
   * @default 'all-done'
   */
  autoShutdown?: 'all-done' | 'never' | undefined;
  /** The time source of `nextAttemptAt` in the workers' status. @default Date.now */
  now?: (() => number) | undefined;
  /**
   * The most children one branch of the tree hosts, an integer from 2 to 256. For tests
   * that want a deep tree from a few workers.
   * @internal
   * @default 16
   */
  fanOut?: number | undefined;
}

/** Where a worker lives: its top branch (`b<branch>`) and its position below it. */
interface Location {
  branch: number;
  position: number;
}

/** Positions freed by REMOVE, reused before new ones: an immutable stack (O(1) to push or pop). */
interface FreePositions {
  position: number;
  rest: FreePositions | null;
}

/** One of the root's branches (`b<number>`, its index in `branches`). */
export interface RootBranch extends BranchSlot {
  /** Its capacity is `fanOut^depth`; each new top branch is one deeper than the last. */
  depth: number;
  /** The next never-used position. */
  next: number;
  free: FreePositions | null;
}

/** The root's context. */
export interface GroupContext {
  /** The top branches, by number: O(log N) of them, each new one `fanOut` times larger. */
  branches: readonly RootBranch[];
  /** Every worker in the group by name (persistent: an update is O(log N), see names.ts). */
  index: NameIndex<Location>;
  /** Workers in the group (removed ones leave at once). */
  workers: number;
  /** Worker actors not ended (a removed worker's counts until it stopped). A count: O(1) per event. */
  live: number;
  /** Top branches not ended. */
  running: number;
  /** The order number of the next worker added: reports and status follow it. */
  nextOrder: number;
  /** The distinct `stopTimeoutMs` of the workers: one root deadline each on STOP. */
  stopTimeouts: readonly number[];
  stopRequested: boolean;
  config: {
    fanOut: number;
    onGiveUp: 'isolate' | 'escalate';
    autoShutdown: 'all-done' | 'never';
    onEvent: SupervisorEventHandler | undefined;
    now: (() => number) | undefined;
  };
}

/** What the root accepts: `STOP`, `ADD`, `REMOVE`, and the internal messages of messages.ts. */
export type GroupEvent = RootMessage;

/** What STOP (or an escalated failure) does to a running group. */
const beginStop = ['markStopRequested', 'reportStopping', 'forwardStop', 'scheduleStopDeadlines'] as const;

/**
 * The group: the root of a supervision tree. Hosts only branches (an internal machine,
 * machines/branch.ts), each of at most `fanOut` (16) children, workers or branches; every
 * worker is a {@link workerMachine} whose `systemId` is its name, so `system.get(name)`
 * returns its live actor (undefined once it ended). Actor ids are the package's own (`b0`,
 * `w3`): any non-empty string is a worker name. Every child's done and error event is
 * handled by its branch, so no worker can put the group into an error status or stop a
 * sibling.
 *
 * STOP is forwarded to every live worker; the group is final once every worker is final
 * (`stopped`). Without STOP, under `autoShutdown: 'all-done'` (the default), it ends `done`
 * once every worker finished on its own (an empty group at once); under `'never'` it runs
 * until STOP. The output is the {@link GroupReport}, workers in the order given or added.
 *
 * `ADD` starts one more worker in the tree (a name in the group, or whose old worker still
 * stops, is ignored); `REMOVE` stops one worker gracefully, timed by its `stopTimeoutMs`,
 * and drops it from the report. Both are ignored once the group stops. With
 * `onGiveUp: 'escalate'`, a worker ending `failed` stops the whole group. The protocol,
 * and who times which stop, is written down in machines/messages.ts.
 *
 * Overridable with `.provide()`: the `worker` actor logic (every branch spawns it).
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
  actors: { worker: workerMachine, branch: branchMachine },
  guards: {
    allDone: ({ context }) => context.config.autoShutdown === 'all-done' && context.live === 0,
    allBranchesEnded: ({ context }) => context.running === 0,
    escalatesFailure: ({ context, event }) =>
      context.config.onGiveUp === 'escalate' && event.type === 'supervisor.finished' && event.failed,
  },
  actions: {
    markStopRequested: assign({ stopRequested: true }),
    reportStopping: ({ context }) => notify(context.config.onEvent, { type: 'group.stopping', workers: context.workers }),
    reportStopped: ({ context }) =>
      notify(context.config.onEvent, {
        type: 'group.stopped',
        outcome: context.stopRequested ? 'stopped' : 'done',
        workers: context.workers,
      }),
    forwardStop: enqueueActions(({ context, enqueue }) => {
      context.branches.forEach((branch, number) => {
        if (branch.output === undefined && branch.broken === undefined) enqueue.sendTo(branchId(number), { type: 'STOP' });
      });
    }),
    scheduleStopDeadlines: enqueueActions(({ context, enqueue }) => {
      for (const stopTimeoutMs of context.stopTimeouts) {
        enqueue.raise({ type: 'supervisor.stopDeadline', stopTimeoutMs }, { delay: stopTimeoutMs });
      }
    }),
    forwardStopDeadline: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'supervisor.stopDeadline') return;
      context.branches.forEach((branch, number) => {
        if (branch.output === undefined && branch.broken === undefined) enqueue.sendTo(branchId(number), event);
      });
    }),
    addWorker: enqueueActions(({ context, event, enqueue, system }) => {
      if (event.type !== 'ADD') return;
      const spec = event.worker;
      // In the group already, or its old worker (same systemId) still stops: ignored.
      // `startGroup`'s add() refuses both with an error before sending.
      if (locate(context.index, spec.name) !== undefined || system.get(spec.name) !== undefined) return;
      const { branches, number, position } = place(context);
      const placed: Placed = { spec, position, order: context.nextOrder };
      const grown = {
        branches,
        index: changeName(context.index, spec.name, { branch: number, position }),
        workers: context.workers + 1,
        live: context.live + 1,
        nextOrder: context.nextOrder + 1,
        stopTimeouts: withStopTimeout(context.stopTimeouts, spec),
      };
      if (number < context.branches.length) {
        enqueue.assign(grown);
        enqueue.sendTo(branchId(number), { type: 'supervisor.add', placed });
        return;
      }
      enqueue.assign(({ context: current, spawn, self }) => {
        spawnBranch(spawn, self, current, number, branches[number]!.depth, placementOf(placed));
        return { ...grown, running: current.running + 1 };
      });
    }),
    removeWorker: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'REMOVE') return;
      const location = locate(context.index, event.name);
      if (location === undefined) return;
      enqueue.assign({ index: changeName(context.index, event.name, null), workers: context.workers - 1 });
      enqueue.sendTo(branchId(location.branch), { type: 'supervisor.remove', position: location.position });
    }),
    countFinished: assign({ live: ({ context }) => context.live - 1 }),
    countLost: assign({ live: ({ context, event }) => (event.type === 'supervisor.lost' ? context.live - event.lost : context.live) }),
    // A removed worker's slot is free: its position goes back to its top branch.
    freePosition: assign(({ context, event }) => {
      if (event.type !== 'supervisor.removed') return {};
      const branches = context.branches.slice();
      const branch = branches[event.branch]!;
      branches[event.branch] = { ...branch, count: branch.count - 1, free: { position: event.position, rest: branch.free } };
      return { branches, live: event.ended ? context.live - 1 : context.live };
    }),
    recordBranchEnded: enqueueActions(({ context, event, enqueue, self }) => {
      if (!('actorId' in event)) return;
      const number = slotOf(event.actorId);
      const branch = context.branches[number];
      if (branch === undefined) return;
      const branches = context.branches.slice();
      if ('output' in event) {
        branches[number] = { ...branch, output: event.output };
        enqueue.assign({ branches, running: context.running - 1 });
        return;
      }
      // A branch broke (a fault of the package itself): its workers are reported failed.
      const error = 'error' in event ? event.error : undefined;
      const { members, orphans } = breakBranch(self, event.actorId, error);
      for (const orphan of orphans) enqueue.sendTo(orphan, { type: 'STOP' });
      branches[number] = { ...branch, broken: { error, members } };
      enqueue.assign({ branches, running: context.running - 1, live: context.live - orphans.length });
    }),
  },
}).createMachine({
  id: 'group',
  context: ({ input, spawn, self }) => {
    const fanOut = checkFanOut(input.fanOut);
    const config: GroupContext['config'] = {
      fanOut,
      onGiveUp: input.onGiveUp ?? 'isolate',
      autoShutdown: input.autoShutdown ?? 'all-done',
      onEvent: input.onEvent,
      now: input.now,
    };
    const names: string[] = [];
    const seen = new Set<string>();
    let stopTimeouts: readonly number[] = [];
    for (const spec of input.workers) {
      if (seen.has(spec.name)) {
        throw new TypeError(`Expected \`workers\` to have unique names, got ${JSON.stringify(spec.name)} twice`);
      }
      seen.add(spec.name);
      names.push(spec.name);
      stopTimeouts = withStopTimeout(stopTimeouts, spec);
    }
    const context: GroupContext = {
      branches: [],
      index: { initial: names, changes: null },
      workers: names.length,
      live: names.length,
      running: 0,
      nextOrder: names.length,
      stopTimeouts,
      stopRequested: false,
      config,
    };
    if (names.length === 0) return context;
    // One top branch just deep enough for the specs: the same tree add() would grow.
    let depth = 1;
    while (fanOut ** depth < names.length) depth += 1;
    // One run over the input array: the branches keep no object per worker.
    spawnBranch(spawn, self, context, 0, depth, { specs: input.workers, from: 0, to: names.length, position: 0, order: 0 });
    const branch: RootBranch = { kind: 'branch', count: names.length, output: undefined, depth, next: names.length, free: null };
    return { ...context, branches: [branch], running: 1 };
  },
  initial: 'running',
  states: {
    running: {
      always: { guard: 'allDone', target: 'ending' },
      on: {
        STOP: { target: 'stopping', actions: beginStop },
        ADD: { actions: 'addWorker' },
        REMOVE: { actions: 'removeWorker' },
        'supervisor.finished': [
          { guard: 'escalatesFailure', target: 'stopping', actions: ['countFinished', ...beginStop] },
          { actions: 'countFinished' },
        ],
        'supervisor.removed': { actions: 'freePosition' },
        'supervisor.lost': { actions: 'countLost' },
        'xstate.error.actor.*': { actions: 'recordBranchEnded' },
      },
    },
    // Every worker finished on its own: the idle branches are stopped to collect their reports.
    ending: {
      entry: 'forwardStop',
      always: { guard: 'allBranchesEnded', target: 'done' },
      on: {
        'xstate.done.actor.*': { actions: 'recordBranchEnded' },
        'xstate.error.actor.*': { actions: 'recordBranchEnded' },
      },
    },
    stopping: {
      always: { guard: 'allBranchesEnded', target: 'stopped' },
      on: {
        'supervisor.stopDeadline': { actions: 'forwardStopDeadline' },
        'xstate.done.actor.*': { actions: 'recordBranchEnded' },
        'xstate.error.actor.*': { actions: 'recordBranchEnded' },
      },
    },
    done: { type: 'final', entry: 'reportStopped' },
    stopped: { type: 'final', entry: 'reportStopped' },
  },
  output: ({ context }) => ({
    outcome: context.stopRequested ? 'stopped' : 'done',
    // Every branch has ended: each gave its output, or its parent kept what it had.
    workers: walkTree(context.branches, undefined).map(
      (member) => member.report ?? failedReport(member.name, new Error('the group ended before this worker did')),
    ),
  }),
});

const initialLocation = (position: number): Location => ({ branch: 0, position });

/** Where worker `name` lives, if it is in the group: O(log N) (see names.ts). */
export function locate(index: NameIndex<Location>, name: string): Location | undefined {
  return lookupName(index, name, initialLocation);
}

/** fanOut, validated: a fan-out of 1 can hold no tree (every capacity would be 1). */
function checkFanOut(fanOut: number | undefined): number {
  if (fanOut === undefined) return defaultFanOut;
  if (!Number.isInteger(fanOut) || fanOut < 2 || fanOut > 256) {
    throw new RangeError(`Expected \`fanOut\` to be an integer from 2 to 256, got ${String(fanOut)}`);
  }
  return fanOut;
}

/**
 * Where ADD puts a worker: the newest top branch with room (a freed position first), else
 * a new top branch `fanOut` times larger than the last (the top branches stay O(log N)).
 */
function place(context: GroupContext): { branches: RootBranch[]; number: number; position: number } {
  const branches = context.branches.slice();
  for (let number = branches.length - 1; number >= 0; number--) {
    const branch = branches[number]!;
    if (branch.output !== undefined || branch.broken !== undefined) continue;
    if (branch.count >= context.config.fanOut ** branch.depth) continue;
    if (branch.free !== null) {
      branches[number] = { ...branch, count: branch.count + 1, free: branch.free.rest };
      return { branches, number, position: branch.free.position };
    }
    branches[number] = { ...branch, count: branch.count + 1, next: branch.next + 1 };
    return { branches, number, position: branch.next };
  }
  const depth = (branches.at(-1)?.depth ?? 0) + 1;
  branches.push({ kind: 'branch', count: 1, output: undefined, depth, next: 1, free: null });
  return { branches, number: branches.length - 1, position: 0 };
}

/** `known` with the spec's `stopTimeoutMs`, each value once. */
function withStopTimeout(known: readonly number[], spec: WorkerSpec): readonly number[] {
  const stopTimeoutMs = spec.stopTimeoutMs ?? defaultStopTimeoutMs;
  return known.includes(stopTimeoutMs) ? known : [...known, stopTimeoutMs];
}

type Spawner = (src: 'branch', options: { id: string; input: BranchInput }) => AnyActorRef;

/** Spawns top branch `number`, handing it the root's `worker` logic (`.provide()`d or not). */
function spawnBranch(spawn: unknown, self: unknown, context: GroupContext, number: number, depth: number, workers: Placement): void {
  const logic = (self as { logic: AnyStateMachine }).logic;
  (spawn as Spawner)('branch', {
    id: branchId(number),
    input: {
      branch: number,
      depth,
      fanOut: context.config.fanOut,
      workers,
      worker: logic.implementations.actors.worker as AnyActorLogic,
      onEvent: context.config.onEvent,
      now: context.config.now,
    },
  });
}

export type { BranchOutput };
