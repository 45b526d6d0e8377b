import type { GroupFailure } from './group.js';

/**
 * Marks the Error `runGroup` rejects with under escalation. A registered symbol, not a
 * class, so that a GroupFailure from another copy of this package is recognised too.
 */
export const groupFailureBrand = Symbol.for('xstate-supervisor.GroupFailure');

/**
 * Whether `error` is the {@link GroupFailure} `runGroup` (or `startGroup(…).done`) rejects
 * with under `onGiveUp: 'escalate'`: an Error whose `report` is the GroupReport. Never
 * throws, whatever `error` is.
 *
 * @example
 * ```ts
 * try {
 *   await runGroup(specs, { onGiveUp: 'escalate' });
 * } catch (error) {
 *   if (!isGroupFailure(error)) throw error;
 *   console.error(error.message, error.report.workers);
 *   process.exitCode = 1;
 * }
 * ```
 */
export function isGroupFailure(error: unknown): error is GroupFailure {
  try {
    return error instanceof Error && (error as Error & Record<symbol, unknown>)[groupFailureBrand] === true;
  } catch {
    return false; // a Proxy whose traps throw is no GroupFailure
  }
}
