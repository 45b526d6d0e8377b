import type { AnyActorRef } from 'xstate';
import type { GroupContext } from './group.js';
import { walkTree, type GroupMember } from './tree.js';

export type { GroupMember } from './tree.js';
import type { WorkerReport } from './types.js';
import type { WorkerContext } from './worker.js';

/** Where a worker is in its lifecycle, as `status()` reports it. */
export type WorkerState = 'running' | 'hung' | 'backoff' | 'stopping' | 'done' | 'stopped' | 'failed';

/** One worker of a group, now: read from its actor's snapshot, or its report once final. */
export interface WorkerStatus {
  name: string;
  state: WorkerState;
  /** How many times the work was started. */
  attempts: number;
  /** `attempts - 1` (0 before the first start). */
  restarts: number;
  /** The last thing the work threw, if it ever threw. */
  lastError?: unknown;
  /** In `backoff`: when the next attempt starts, in ms since the epoch (by the group's `now`). */
  nextAttemptAt?: number;
  /**
   * The attempt is running and, with `readyTimeoutMs`, has called `ready()`. (`state` is
   * `'running'` but `ready` false while an attempt starts up.)
   */
  ready: boolean;
  /** When the latest attempt last called `heartbeat()` (by the group's `now`), if it did. */
  lastHeartbeatAt?: number;
  /** How many hung attempts were left running after `stopTimeoutMs`, if any were. */
  abandoned?: number;
}

/**
 * Every worker of a group (removed ones excluded), in the order they were given or
 * added: one walk of the tree (machines/tree.ts), the same that builds the group's output.
 * Reads the actors' snapshots; keeps no state.
 */
export function groupMembers(group: AnyActorRef): GroupMember[] {
  const snapshot = group.getSnapshot() as { context: GroupContext; children: Record<string, AnyActorRef | undefined> };
  return walkTree(snapshot.context.branches, snapshot.children);
}

/** The status of one member: from its report if final, else from its worker snapshot. */
export function memberStatus(member: GroupMember): WorkerStatus {
  if (member.report !== undefined) {
    const { name, outcome, attempts, restarts, abandoned } = member.report;
    const status: WorkerStatus = { name, state: outcome, attempts, restarts, ready: false };
    if ('lastError' in member.report) status.lastError = member.report.lastError;
    if (abandoned !== undefined) status.abandoned = abandoned;
    return status;
  }
  const snapshot = member.actor?.getSnapshot() as
    | { status: string; output?: WorkerReport; context: WorkerContext; matches(value: unknown): boolean }
    | undefined;
  if (snapshot === undefined) return { name: member.name, state: 'running', attempts: 0, restarts: 0, ready: false };
  if (snapshot.status === 'done' && snapshot.output !== undefined) {
    return memberStatus({ ...member, report: snapshot.output });
  }
  const { context } = snapshot;
  const state: WorkerState = snapshot.matches('backoff')
    ? 'backoff'
    : snapshot.matches({ attempt: 'stopping' })
      ? 'stopping'
      : snapshot.matches({ attempt: 'hung' })
        ? 'hung'
        : 'running';
  const status: WorkerStatus = {
    name: member.name,
    state,
    attempts: context.attempts,
    restarts: Math.max(0, context.attempts - 1),
    ready: snapshot.matches({ attempt: 'running' }),
  };
  if (context.errored) status.lastError = context.lastError;
  if (state === 'backoff' && context.nextAttemptAt !== undefined) status.nextAttemptAt = context.nextAttemptAt;
  if (context.current.lastHeartbeatAt !== undefined) status.lastHeartbeatAt = context.current.lastHeartbeatAt;
  if (context.abandoned > 0) status.abandoned = context.abandoned;
  return status;
}
