import type { SupervisorEvent, SupervisorEventHandler } from '../machines/types.js';

/** What a worker has done since it was added to its group: monotonic, for metrics. */
export interface WorkerCounters {
  starts: number;
  crashes: number;
  hangs: number;
}

/**
 * Internal: what the package's own surfaces (`serveGroup`'s metrics, the live view) read
 * of a group beyond `status()`. One per group handle, fed by the group's event stream.
 * Not part of the public surface: reached through {@link observerOf}.
 */
export class GroupObserver {
  /** Per worker, by name (a Map: a user's string is never a plain-object key). */
  readonly counters = new Map<string, WorkerCounters>();
  readonly #listeners = new Set<SupervisorEventHandler>();

  /** Feeds one event: called for every event of the group, before the user's hooks return. */
  readonly handle = (event: SupervisorEvent): void => {
    switch (event.type) {
      case 'worker.started': {
        // Attempt 1 is a new worker (a name removed and added again starts from zero).
        const counters = event.attempt === 1 ? undefined : this.counters.get(event.name);
        if (counters === undefined) this.counters.set(event.name, { starts: 1, crashes: 0, hangs: 0 });
        else counters.starts += 1;
        break;
      }
      // A crash that ends the worker (restart 'never', maxRestarts, FatalError) is reported
      // as worker.failed alone: it is a crash all the same.
      case 'worker.crashed':
      case 'worker.failed': {
        const counters = this.counters.get(event.name);
        if (counters !== undefined) counters.crashes += 1;
        break;
      }
      default:
        break;
    }
    for (const listener of this.#listeners) listener(event);
  };

  /** A worker left the group (`remove()`): its series go with it. */
  forget(name: string): void {
    this.counters.delete(name);
  }

  /** Calls `listener` with every later event; returns the function that stops it. */
  subscribe(listener: SupervisorEventHandler): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

const observers = new WeakMap<object, GroupObserver>();

export function registerObserver(handle: object, observer: GroupObserver): void {
  observers.set(handle, observer);
}

/** The observer of a handle made by `startGroup`, if it is one. */
export function observerOf(handle: object): GroupObserver | undefined {
  return observers.get(handle);
}
