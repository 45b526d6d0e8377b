import type { GroupHandle } from './group.js';
import { observerOf, type GroupObserver } from './observe.js';
import { describe } from './options.js';

/** The Content-Type of {@link groupMetrics}'s text: Prometheus text exposition format 0.0.4. */
export const metricsContentType = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Every state `xstate_supervisor_worker_state` has a series for: all of them, at 0 or 1, so
 * that a query never sees a state's series appear and vanish (`'hung'` once hung work is
 * detected).
 */
const workerStates = ['running', 'backoff', 'stopping', 'hung', 'done', 'stopped', 'failed'] as const;

/** A label value as the text format writes it: backslash, double quote and newline escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (character) => (character === '\n' ? '\\n' : `\\${character}`));
}

/** The group's observer, or a TypeError naming `group` for anything not made by `startGroup`. */
export function checkGroup(group: unknown): { handle: GroupHandle; observer: GroupObserver } {
  const observer = typeof group === 'object' && group !== null ? observerOf(group) : undefined;
  if (observer === undefined) {
    throw new TypeError(`Expected \`group\` to be a handle returned by startGroup, got ${describe(group)}`);
  }
  return { handle: group as GroupHandle, observer };
}

/**
 * The group's metrics in the Prometheus text format (0.0.4), as `serveGroup` serves them
 * at `/metrics`: for users who already serve `/metrics` themselves (append it to
 * prom-client's `register.metrics()`). One series set per worker, present at 0 from its
 * first start and gone once it is removed; the only labels are `worker` and `state`.
 *
 * - `xstate_supervisor_starts_total{worker}`: attempts started, the first one included.
 * - `xstate_supervisor_crashes_total{worker}`: attempts that threw (a hang counts too).
 * - `xstate_supervisor_hangs_total{worker}`: attempts aborted by a ready, heartbeat or attempt timeout.
 * - `xstate_supervisor_worker_state{worker,state}`: 1 for the worker's state, 0 for the others.
 *
 * Throws a TypeError when `group` is not a handle returned by `startGroup`.
 *
 * @example
 * ```ts
 * const group = startGroup([{ name: 'consumer', work: consume }]);
 * app.get('/metrics', async (_request, response) => {
 *   response.type(register.contentType).send((await register.metrics()) + groupMetrics(group));
 * });
 * ```
 */
export function groupMetrics(group: GroupHandle): string {
  const { handle, observer } = checkGroup(group);
  const workers = handle.status();
  const starts: string[] = [];
  const crashes: string[] = [];
  const hangs: string[] = [];
  const states: string[] = [];
  for (const worker of workers) {
    const label = `worker="${escapeLabelValue(worker.name)}"`;
    const counters = observer.counters(worker.name);
    starts.push(`xstate_supervisor_starts_total{${label}} ${counters?.starts ?? 0}`);
    crashes.push(`xstate_supervisor_crashes_total{${label}} ${counters?.crashes ?? 0}`);
    hangs.push(`xstate_supervisor_hangs_total{${label}} ${counters?.hangs ?? 0}`);
    for (const state of workerStates) {
      states.push(`xstate_supervisor_worker_state{${label},state="${state}"} ${worker.state === state ? 1 : 0}`);
    }
  }
  return [
    '# HELP xstate_supervisor_starts_total Attempts of work started, per worker (the first one included).',
    '# TYPE xstate_supervisor_starts_total counter',
    ...starts,
    '# HELP xstate_supervisor_crashes_total Attempts that crashed (threw, rejected or hung), per worker.',
    '# TYPE xstate_supervisor_crashes_total counter',
    ...crashes,
    '# HELP xstate_supervisor_hangs_total Attempts aborted by a ready, heartbeat or attempt timeout, per worker.',
    '# TYPE xstate_supervisor_hangs_total counter',
    ...hangs,
    '# HELP xstate_supervisor_worker_state Whether the worker is in the state (1) or not (0).',
    '# TYPE xstate_supervisor_worker_state gauge',
    ...states,
    '',
  ].join('\n');
}
