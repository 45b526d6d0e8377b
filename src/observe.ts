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
  /**
   * Per worker, by name (a Map: a user's string is never a plain-object key). A number is
   * the starts of a worker that never crashed nor hung: no counters object per worker
   * until one does (most never do).
   */
  readonly #counts = new Map<string, number | WorkerCounters>();
  readonly #listeners = new Set<SupervisorEventHandler>();

  /** What worker `name` has done since it was added, if it has started. */
  counters(name: string): WorkerCounters | undefined {
    const counts = this.#counts.get(name);
    return typeof counts === 'number' ? { starts: counts, crashes: 0, hangs: 0 } : counts;
  }

  /** The counters of `name` as an object, made on its first crash or hang. */
  #mutable(name: string): WorkerCounters | undefined {
    const counts = this.#counts.get(name);
    if (typeof counts !== 'number') return counts;
    const counters = { starts: counts, crashes: 0, hangs: 0 };
    this.#counts.set(name, counters);
    return counters;
  }

  /** Feeds one event: called for every event of the group, before the user's hooks return. */
  readonly handle = (event: SupervisorEvent): void => {
    switch (event.type) {
      case 'worker.started': {
        // Attempt 1 is a new worker (a name removed and added again starts from zero).
        const counts = event.attempt === 1 ? undefined : this.#counts.get(event.name);
        if (counts === undefined) this.#counts.set(event.name, 1);
        else if (typeof counts === 'number') this.#counts.set(event.name, counts + 1);
        else counts.starts += 1;
        break;
      }
      // A crash that ends the worker (restart 'never', maxRestarts, FatalError) is reported
      // as worker.failed alone: it is a crash all the same.
      case 'worker.crashed':
      case 'worker.failed': {
        const counters = this.#mutable(event.name);
        if (counters !== undefined) counters.crashes += 1;
        break;
      }
      case 'worker.hung': {
        const counters = this.#mutable(event.name);
        if (counters !== undefined) counters.hangs += 1;
        break;
      }
      default:
        break;
    }
    for (const listener of this.#listeners) listener(event);
  };

  /** A worker left the group (`remove()`): its series go with it. */
  forget(name: string): void {
    this.#counts.delete(name);
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
