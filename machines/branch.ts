import {
  enqueueActions,
  sendParent,
  setup,
  type AnyActorLogic,
  type AnyActorRef,
  type AnyStateMachine,
} from 'xstate';
import { shareOptionsShape } from './actor-options.js';
import type { BranchMessage, UpwardMessage } from './messages.js';
import type { SupervisorEventHandler, WorkerReport, WorkerSpec } from './types.js';
import {
  branchId,
  failedReport,
  breakBranch,
  settledSlots,
  slotOf,
  workerId,
  type BranchOutput,
  type BranchSlot,
  placementOf,
  type Placement,
  type Slot,
  type WorkerSlot,
} from './tree.js';
import { configOf, defaultStopTimeoutMs, presetConfig, type WorkerInput } from './worker.js';

/** Input of {@link branchMachine}: set by the root or by the parent branch, never by a user. */
export interface BranchInput {
  /** The root's number of the top branch above (or of this one): carried by `supervisor.removed`. */
  branch: number;
  /** 1: hosts workers; `d`: hosts branches of depth `d − 1`. Its capacity is `fanOut^depth`. */
  depth: number;
  fanOut: number;
  /** The workers it starts with (their positions below its capacity). */
  workers: Placement;
  /** The worker logic: the root's `worker` actor, `.provide()`d or not. */
  worker: AnyActorLogic;
  onEvent: SupervisorEventHandler | undefined;
  now: (() => number) | undefined;
}

/** What a branch was started with: fixed for its lifetime. */
interface BranchConfig {
  branch: number;
  depth: number;
  fanOut: number;
  /** Positions per child slot: `fanOut^(depth − 1)`. */
  childCapacity: number;
  worker: AnyActorLogic;
  onEvent: SupervisorEventHandler | undefined;
  now: (() => number) | undefined;
  /**
   * The branch's own actor: the `childActorsEnded` guard reads its children (a guard is
   * handed no snapshot). Its current snapshot is the one before the event in hand.
   */
  self: AnyActorRef;
  /** The prototype of its workers' inputs: what they all share (see workerInput). */
  workerShared: Pick<WorkerInput, 'onEvent' | 'now' | 'stopDeadline'>;
}

export interface BranchContext {
  /** `fanOut` slots, each free, a worker or a branch. */
  slots: readonly Slot[];
  /**
   * Child actors not ended: live workers (removing ones too) and live branches. Kept while
   * running; once stopping, the `childActorsEnded` guard reads the children instead.
   */
  live: number;
  config: BranchConfig;
}

/** The slot of this branch a position goes down through. */
const slotFor = (config: BranchConfig, position: number): number =>
  Math.floor(position / config.childCapacity) % config.fanOut;

/** The id of the delayed event that ends a removed worker's wait. */
const removalId = (slot: number): string => `removal-${slot}`;

const withSlot = (slots: readonly Slot[], index: number, slot: Slot): Slot[] => {
  const next = slots.slice();
  next[index] = slot;
  return next;
};

const stopEvent = { type: 'STOP' } as const;

/** Whether a slot records its child's end already (a worker's report, a branch's output or break). */
const isRecorded = (slot: Slot): boolean =>
  slot === undefined || (slot.kind === 'worker' ? slot.report !== undefined : slot.output !== undefined || slot.broken !== undefined);

type Spawner = (logic: AnyActorLogic, options: { id: string; systemId?: string; input: unknown }) => AnyActorRef;

/**
 * A node of the group's tree (internal: embedders use {@link groupMachine}). Hosts at most
 * `fanOut` children in slots — workers at depth 1, branches of depth − 1 above — under
 * ids of its own (`w<slot>`, `b<slot>`), and never ends before STOP, whatever its workers
 * do: a worker that ends leaves its report in its slot and its actor is dropped. It reports
 * to its parent with the `supervisor.*` messages of machines/messages.ts, where the whole
 * protocol is written down.
 */
export const branchMachine = setup({
  types: {
    input: {} as BranchInput,
    context: {} as BranchContext,
    events: {} as BranchMessage,
    output: {} as BranchOutput,
  },
  guards: {
    allChildrenEnded: ({ context }) => context.live === 0,
    /**
     * While stopping: every child actor has ended (this event's one too). Read from the
     * branch's children, which keep every child that ended while it stopped (see
     * {@link BranchConfig.self}): O(fanOut), and no count to update per end.
     */
    childActorsEnded: ({ context, event }) => {
      const { children } = context.config.self.getSnapshot() as { children: Record<string, AnyActorRef | undefined> };
      const endedId = (event as { actorId?: string }).actorId;
      for (const id in children) {
        const status = (children[id]?.getSnapshot() as { status?: string } | undefined)?.status;
        if (status === 'active') return false;
        // A child that failed counts once its error is recorded (or is this event's).
        if (status === 'error' && id !== endedId && !isRecorded(context.slots[slotOf(id)])) return false;
      }
      return true;
    },
  },
  actions: {
    addWorker: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'supervisor.add') return;
      const { config } = context;
      const index = slotFor(config, event.placed.position);
      const slot = context.slots[index];
      if (config.depth > 1 && slot?.kind === 'branch') {
        enqueue.assign({ slots: withSlot(context.slots, index, { ...slot, count: slot.count + 1 }) });
        enqueue.sendTo(branchId(index), event);
        return;
      }
      if (slot !== undefined) return; // a position in use: the root never sends one
      enqueue.assign(({ context: current, spawn, self }) => ({
        slots: withSlot(current.slots, index, spawnChild(spawn, self, current.config, index, placementOf(event.placed))),
        live: current.live + 1,
      }));
    }),
    removeWorker: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'supervisor.remove') return;
      const index = slotFor(context.config, event.position);
      const slot = context.slots[index];
      if (slot?.kind === 'branch') {
        enqueue.sendTo(branchId(index), event);
        return;
      }
      if (slot === undefined || slot.removing) return;
      if (slot.report !== undefined) {
        // Finished already: only its report goes.
        enqueue.assign({ slots: withSlot(context.slots, index, undefined) });
        const removed: UpwardMessage = { type: 'supervisor.removed', branch: context.config.branch, position: event.position, ended: false };
        enqueue.sendParent(removed);
        return;
      }
      enqueue.assign({ slots: withSlot(context.slots, index, { ...slot, removing: true }) });
      enqueue.sendTo(workerId(index), { type: 'STOP' });
      // The removal's deadline is this branch's (see messages.ts): cancelled if the worker ends first.
      enqueue.raise({ type: 'supervisor.stopDeadline', slot: index }, { delay: slot.stopTimeoutMs, id: removalId(index) });
    }),
    /**
     * STOP to every live child, sent from one plain action: an `enqueue.sendTo` per child
     * cost an action object, its resolution, an executor record and a deferred closure.
     * The children get it during this transition (the branch's slots are the same before
     * and after it); what they send back waits in the branch's mailbox.
     */
    forwardStop: ({ context }) => {
      const { children } = context.config.self.getSnapshot() as { children: Record<string, AnyActorRef | undefined> };
      context.slots.forEach((slot, index) => {
        if (slot === undefined) return;
        if (slot.kind === 'worker') {
          if (slot.report === undefined && !slot.removing) children[workerId(index)]?.send(stopEvent);
        } else if (slot.output === undefined && slot.broken === undefined) children[branchId(index)]?.send(stopEvent);
      });
    },
    // The branch, not the worker, matches a deadline to the workers it is for.
    forwardStopDeadline: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'supervisor.stopDeadline') return;
      if ('slot' in event) {
        const slot = context.slots[event.slot];
        if (slot?.kind === 'worker' && slot.removing) enqueue.sendTo(workerId(event.slot), { type: 'supervisor.stopDeadline' });
        return;
      }
      context.slots.forEach((slot, index) => {
        if (slot === undefined) return;
        if (slot.kind === 'branch') {
          if (slot.output === undefined && slot.broken === undefined) enqueue.sendTo(branchId(index), event);
        } else if (slot.report === undefined && slot.stopTimeoutMs === event.stopTimeoutMs) {
          enqueue.sendTo(workerId(index), { type: 'supervisor.stopDeadline' });
        }
      });
    }),
    /** A child ended: record it, drop a worker's actor, and (while running) tell the parent. */
    recordEnded: enqueueActions(({ context, event, enqueue, self }, params: { running: boolean }) => {
      if (event.type.startsWith('xstate.done.actor.') === false && event.type.startsWith('xstate.error.actor.') === false) return;
      const ended = event as { actorId: string; output?: WorkerReport | BranchOutput; error?: unknown };
      const id = ended.actorId;
      const index = slotOf(id);
      const slot = context.slots[index];
      if (slot === undefined) return;
      const failed = 'error' in ended;
      if (slot.kind === 'branch') {
        if (!failed) {
          enqueue.assign({ slots: withSlot(context.slots, index, { ...slot, output: ended.output as BranchOutput }), live: context.live - 1 });
          return;
        }
        // A branch broke (a fault of the package): its workers are reported failed.
        const { members, orphans } = breakBranch(self, id, ended.error);
        for (const orphan of orphans) enqueue.sendTo(orphan, { type: 'STOP' });
        enqueue.assign({ slots: withSlot(context.slots, index, { ...slot, broken: { error: ended.error, members } }), live: context.live - 1 });
        if (params.running && orphans.length > 0) enqueue.sendParent({ type: 'supervisor.lost', lost: orphans.length });
        return;
      }
      enqueue.stopChild(id);
      if (slot.removing) {
        enqueue.cancel(removalId(index));
        enqueue.assign({ slots: withSlot(context.slots, index, undefined), live: context.live - 1 });
        if (params.running) {
          enqueue.sendParent({ type: 'supervisor.removed', branch: context.config.branch, position: slot.position, ended: true });
        }
        return;
      }
      const report = failed ? failedReport(slot.name, ended.error) : (ended.output as WorkerReport);
      enqueue.assign({ slots: withSlot(context.slots, index, { ...slot, report }), live: context.live - 1 });
      if (params.running) enqueue.sendParent({ type: 'supervisor.finished', failed: report.outcome === 'failed' });
    }),
    forwardUp: sendParent(({ event }) => event as UpwardMessage),
    // A sub-branch's worker left: one position less below it; an emptied sub-branch is stopped.
    countRemoved: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'supervisor.removed') return;
      const index = slotFor(context.config, event.position);
      const slot = context.slots[index];
      if (slot?.kind !== 'branch') return;
      if (slot.count > 1) {
        enqueue.assign({ slots: withSlot(context.slots, index, { ...slot, count: slot.count - 1 }) });
        return;
      }
      enqueue.stopChild(branchId(index));
      enqueue.assign({ slots: withSlot(context.slots, index, undefined), live: context.live - 1 });
    }),
  },
}).createMachine({
  id: 'branch',
  // Spawning here grows linearly; N spawnChild actions in one transition do not
  // (DESIGN.md, "Measured traps").
  context: ({ input, spawn, self }) => {
    shareOptionsShape(self);
    const config: BranchConfig = {
      branch: input.branch,
      depth: input.depth,
      fanOut: input.fanOut,
      childCapacity: input.fanOut ** (input.depth - 1),
      worker: input.worker,
      onEvent: input.onEvent,
      now: input.now,
      self: self as AnyActorRef,
      workerShared: { onEvent: input.onEvent, now: input.now, stopDeadline: 'parent' },
    };
    const slots: Slot[] = new Array<Slot>(input.fanOut).fill(undefined);
    // The run splits into one run per slot: its positions are consecutive.
    const { specs, from, to, position, order } = input.workers;
    let live = 0;
    for (let at = from; at < to; ) {
      const first = position + (at - from);
      const end = Math.min(to, at + (Math.floor(first / config.childCapacity) + 1) * config.childCapacity - first);
      const run: Placement = { specs, from: at, to: end, position: first, order: order + (at - from) };
      slots[slotFor(config, first)] = spawnChild(spawn, self, config, slotFor(config, first), run);
      live += 1;
      at = end;
    }
    return { slots, live, config };
  },
  initial: 'running',
  on: { 'supervisor.stopDeadline': { actions: 'forwardStopDeadline' } },
  states: {
    running: {
      on: {
        // Every child ended already: nothing to wait for (forwardStop then sends nothing).
        STOP: [
          { guard: 'allChildrenEnded', target: 'stopped', actions: 'forwardStop' },
          { target: 'stopping', actions: 'forwardStop' },
        ],
        'supervisor.add': { actions: 'addWorker' },
        'supervisor.remove': { actions: 'removeWorker' },
        'supervisor.finished': { actions: 'forwardUp' },
        'supervisor.lost': { actions: 'forwardUp' },
        'supervisor.removed': { actions: ['countRemoved', 'forwardUp'] },
        'xstate.done.actor.*': { actions: { type: 'recordEnded', params: { running: true } } },
        'xstate.error.actor.*': { actions: { type: 'recordEnded', params: { running: true } } },
      },
    },
    // No `always`: it would be evaluated after every child's end; the last end targets `stopped`.
    // `live` is not kept up to date here.
    stopping: {
      on: {
        // A child that ended is not even counted: its actor stays in `children` until the
        // branch is final, and its report (or a sub-branch's output) is read from there
        // once (see settledSlots). No microstep per end but the last one's.
        'xstate.done.actor.*': { guard: 'childActorsEnded', target: 'stopped' },
        'xstate.error.actor.*': [
          { guard: 'childActorsEnded', target: 'stopped', actions: { type: 'recordEnded', params: { running: false } } },
          { actions: { type: 'recordEnded', params: { running: false } } },
        ],
      },
    },
    stopped: { type: 'final' },
  },
  // `self` still holds the previous snapshot here, whose children include every child
  // that ended while the branch stopped (see countEnded).
  output: ({ context, self }) => ({ slots: settledSlots(context.slots, self.getSnapshot().children) }),
});

/**
 * Spawns what goes into slot `index`: one worker (depth 1), or a branch of depth − 1
 * with the workers below it. Called inside `context`/`assign`, where XState spawns.
 */
function spawnChild(spawn: unknown, self: unknown, config: BranchConfig, index: number, placement: Placement): WorkerSlot | BranchSlot {
  const spawnLogic = spawn as Spawner;
  if (config.depth === 1) {
    const spec = placement.specs[placement.from]!;
    spawnLogic(config.worker, { id: workerId(index), systemId: spec.name, input: workerInput(spec, config) });
    return {
      kind: 'worker',
      name: spec.name,
      order: placement.order,
      position: placement.position,
      stopTimeoutMs: spec.stopTimeoutMs ?? defaultStopTimeoutMs,
      report: undefined,
      removing: false,
    };
  }
  const input: BranchInput = {
    branch: config.branch,
    depth: config.depth - 1,
    fanOut: config.fanOut,
    workers: placement,
    worker: config.worker,
    onEvent: config.onEvent,
    now: config.now,
  };
  // The running logic of this branch, so that sub-branches are the same machine.
  spawnLogic((self as { logic: AnyStateMachine }).logic, { id: branchId(index), input });
  return { kind: 'branch', count: placement.to - placement.from, output: undefined };
}

/**
 * A worker's input: its name and work as own properties, its config made already (one
 * object for consecutive workers of the same options, see `configOf`), and what every
 * worker of the branch shares (`onEvent`, `now`, `stopDeadline`) on a prototype made once
 * per branch. XState keeps the input alive with the actor: it holds no copy of the
 * spec's options (a `backoff` object alone is 56 bytes), and 56 bytes in all instead of
 * 120 for a literal with every field. (A spread, `{ ...spec, … }`, gave each of N workers
 * an object of its own hidden class in V8, about 200 bytes more per worker.)
 */
function workerInput(spec: WorkerSpec, config: BranchConfig): WorkerInput {
  const input = Object.create(config.workerShared) as Record<string | symbol, unknown>;
  input.name = spec.name;
  input.work = spec.work;
  input[presetConfig] = configOf(spec, config.workerShared);
  return input as unknown as WorkerInput;
}
