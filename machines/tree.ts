import type { AnyActorRef } from 'xstate';
import type { WorkerReport, WorkerSpec } from './types.js';

/**
 * The shape of the group's tree, shared by the root and its branches, and the one walk of
 * it (for the group's output and for `status()`). See machines/messages.ts for the protocol.
 */

/** A worker on its way to its slot: the spec, where it goes, and its place in the report. */
export interface Placed {
  spec: WorkerSpec;
  /** Below the capacity of its top branch; its base-fanOut digits are the slots down the tree. */
  position: number;
  /** Reports and status list workers by this number: the order they were given or added. */
  order: number;
}

/**
 * Workers on their way down the tree, as a run of consecutive positions: `specs[from]` …
 * `specs[to − 1]`, the first at `position` and `order`, each next one at the next. The
 * initial workers are one run over the group's input array, so a branch's input holds no
 * object per worker (a list of {@link Placed} per branch kept ~80 bytes per worker alive).
 */
export interface Placement {
  readonly specs: readonly WorkerSpec[];
  readonly from: number;
  readonly to: number;
  readonly position: number;
  readonly order: number;
}

/** One worker (an ADD) as a {@link Placement}. */
export const placementOf = ({ spec, position, order }: Placed): Placement => ({ specs: [spec], from: 0, to: 1, position, order });

/** A slot holding a worker: live (its actor is `w<slot>`), finished (its report), or removing. */
export interface WorkerSlot {
  readonly kind: 'worker';
  readonly name: string;
  readonly order: number;
  /** Its position below its top branch: what `supervisor.removed` carries up. */
  readonly position: number;
  readonly stopTimeoutMs: number;
  /** Set once the worker ended on its own or by STOP; its actor is dropped then. */
  readonly report: WorkerReport | undefined;
  /** REMOVE reached it: it stops, then frees the slot; it is in no report any more. */
  readonly removing: boolean;
}

/** A slot holding a branch (`b<slot>`): live, or final with its output. */
export interface BranchSlot {
  readonly kind: 'branch';
  /** Positions in use below it (live, finished or removing workers). */
  readonly count: number;
  /** Its output once it is final (only after STOP). */
  readonly output: BranchOutput | undefined;
  /**
   * What broke it, if it broke (a fault of the package itself), and its workers as they
   * were then: those not finished are reported failed with that error.
   */
  readonly broken?: { error: unknown; members: readonly OrderedMember[] } | undefined;
}

export type Slot = WorkerSlot | BranchSlot | undefined;

/** A branch's output: its slots, as it ended. */
export interface BranchOutput {
  slots: readonly Slot[];
}

export const workerId = (slot: number): string => `w${slot}`;
export const branchId = (slot: number): string => `b${slot}`;
/** The slot number in a package-own child id (`w3`, `b12`). */
export const slotOf = (id: string): number => Number(id.slice(1));

/** The output of a done child actor, if it is one. */
function doneOutput(actor: AnyActorRef | undefined): unknown {
  const snapshot = actor?.getSnapshot() as { status?: string; output?: unknown } | undefined;
  return snapshot?.status === 'done' ? snapshot.output : undefined;
}

/**
 * A final branch's slots: a child that ended while the branch stopped is still in
 * `children` (the branch only counted its end), and its report — or a sub-branch's
 * output — goes into its slot here, once per branch.
 */
export function settledSlots(slots: readonly Slot[], children: Record<string, AnyActorRef | undefined> | undefined): Slot[] {
  return slots.map((slot, index) => {
    if (slot === undefined) return slot;
    if (slot.kind === 'worker') {
      if (slot.report !== undefined || slot.removing) return slot;
      const report = doneOutput(children?.[workerId(index)]) as WorkerReport | undefined;
      return report === undefined ? slot : { ...slot, report };
    }
    if (slot.output !== undefined || slot.broken !== undefined) return slot;
    const output = doneOutput(children?.[branchId(index)]) as BranchOutput | undefined;
    return output === undefined ? slot : { ...slot, output };
  });
}

/** A worker of the group: its report once it is final, else its live actor. */
export interface GroupMember {
  name: string;
  report: WorkerReport | undefined;
  actor: AnyActorRef | undefined;
}

/** A member and its place in the order of the report. */
export interface OrderedMember extends GroupMember {
  order: number;
}

interface BranchSnapshotLike {
  status?: string;
  output?: BranchOutput;
  context?: { slots: readonly Slot[] };
  children?: Record<string, AnyActorRef | undefined>;
}

/**
 * Every worker below `slots` (removed ones excluded), in the order they were given or
 * added: the one walk of the tree, for the output and for `status()`. A live branch is read
 * from its actor's snapshot (in `children`), a final one from its output, a broken one from
 * what its parent kept of it.
 */
export function walkTree(slots: readonly Slot[], children: Record<string, AnyActorRef | undefined> | undefined): OrderedMember[] {
  const found: OrderedMember[] = [];
  const visit = (nodeSlots: readonly Slot[], nodeChildren: typeof children): void => {
    nodeSlots.forEach((slot, index) => {
      if (slot === undefined) return;
      if (slot.kind === 'worker') {
        if (slot.removing) return;
        if (slot.report !== undefined) {
          found.push({ name: slot.name, order: slot.order, report: slot.report, actor: undefined });
          return;
        }
        // Ended while its branch stops: the branch keeps the actor until it is final.
        const actor = nodeChildren?.[workerId(index)];
        const report = doneOutput(actor) as WorkerReport | undefined;
        found.push({ name: slot.name, order: slot.order, report, actor: report === undefined ? actor : undefined });
      } else if (slot.broken !== undefined) {
        found.push(...slot.broken.members);
      } else if (slot.output !== undefined) {
        visit(slot.output.slots, undefined);
      } else {
        const snapshot = nodeChildren?.[branchId(index)]?.getSnapshot() as BranchSnapshotLike | undefined;
        if (snapshot?.status === 'done' && snapshot.output !== undefined) visit(snapshot.output.slots, undefined);
        else if (snapshot?.context !== undefined) visit(snapshot.context.slots, snapshot.children);
      }
    });
  };
  visit(slots, children);
  return found.sort((a, b) => a.order - b.order);
}

/**
 * The report of a worker whose actor itself broke (a `.provide()`d logic that throws, or a
 * broken branch) before it finished: failed, with what broke it.
 */
export function failedReport(name: string, error: unknown): WorkerReport {
  return { name, outcome: 'failed', attempts: 0, restarts: 0, lastError: error, stopTimedOut: false };
}

/** The children of a running actor (XState does not type `self.getSnapshot()` in actions). */
function childrenOf(self: unknown): Record<string, AnyActorRef | undefined> | undefined {
  return (self as { getSnapshot(): { children?: Record<string, AnyActorRef | undefined> } }).getSnapshot().children;
}

/**
 * Child branch `id` of `self` broke (a fault of the package itself): what its parent keeps
 * of it — its workers, those not finished reported failed with `error` — and the actors of
 * those (`orphans`), which XState leaves running under an errored actor: the caller sends
 * them STOP (a child actor cannot be stopped from outside its parent).
 */
export function breakBranch(self: unknown, id: string, error: unknown): { members: OrderedMember[]; orphans: AnyActorRef[] } {
  const snapshot = childrenOf(self)?.[id]?.getSnapshot() as BranchSnapshotLike | undefined;
  const orphans: AnyActorRef[] = [];
  if (snapshot?.context === undefined) return { members: [], orphans };
  const members = walkTree(snapshot.context.slots, snapshot.children).map((member) => {
    if (member.report !== undefined) return member;
    if (member.actor !== undefined) orphans.push(member.actor);
    return { name: member.name, order: member.order, report: failedReport(member.name, error), actor: undefined };
  });
  return { members, orphans };
}

interface LiveBranchLike {
  context?: { slots: readonly Slot[]; config: { fanOut: number; childCapacity: number } };
  children?: Record<string, AnyActorRef | undefined>;
}

/**
 * The slot of the worker at `position` below live top branch `branch` of a root
 * snapshot: a walk down the position's digits, O(depth). Undefined if it is not there.
 */
export function slotAt(
  children: Record<string, AnyActorRef | undefined>,
  branch: number,
  position: number,
): WorkerSlot | undefined {
  let node = children[branchId(branch)]?.getSnapshot() as LiveBranchLike | undefined;
  while (node?.context !== undefined) {
    const { slots, config } = node.context;
    const index = Math.floor(position / config.childCapacity) % config.fanOut;
    const slot = slots[index];
    if (slot?.kind === 'worker') return slot;
    if (slot === undefined) return undefined;
    node = node.children?.[branchId(index)]?.getSnapshot() as LiveBranchLike | undefined;
  }
  return undefined;
}
