/**
 * An indexed scheduler for an XState v5 actor system.
 *
 * XState's stock scheduler (`createSystem` in xstate 5.33) keeps every delayed event of the
 * whole system in one object, and every actor stop calls `scheduler.cancelAll(actor)`, which
 * scans all of them (`for … in` over an object in dictionary mode, so each scan also sorts
 * its keys). In a group of N workers where each holds a pending timer (a backoff, a
 * `resetAfterMs`, a restart window, a watchdog), each restart stops an attempt actor and
 * costs O(N): 1.6 ms per stop at 10k pending events.
 *
 * This scheduler does what the stock one does — the same `ScheduledEvent` records in
 * `system._snapshot._scheduledEvents` (so `system.getSnapshot()` is unchanged), the
 * system's own clock (a `SimulatedClock` or fake timers still drive every actor), and
 * delivery through `system._relay` (so inspectors still see every delayed event) — and
 * also indexes the events by their source actor, so that `cancelAll(actor)` costs
 * O(that actor's own events).
 *
 * It leans on three internals of the system: `_snapshot._scheduledEvents`, `_relay` and
 * `_clock`. When any of them is missing (a future XState), {@link installIndexedScheduler}
 * leaves the stock scheduler in place: correct, just O(N) per stop. XState 6's alphas add
 * an official hook for the same purpose (`system.runtime.cancelAllTimers`).
 */
import type { AnyActorRef, EventObject } from 'xstate';

/** One delayed event, as XState 5 records it. */
interface ScheduledEvent {
  id: string;
  event: EventObject;
  startedAt: number;
  delay: number;
  source: AnyActorRef;
  target: AnyActorRef;
}

interface Scheduler {
  schedule(source: AnyActorRef, target: AnyActorRef, event: EventObject, delay: number, id: string | undefined): void;
  cancel(source: AnyActorRef, id: string): void;
  cancelAll(actorRef: AnyActorRef): void;
}

interface Clock {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The parts of XState 5's actor system this module reads and replaces. */
interface SystemInternals {
  scheduler: Scheduler;
  _snapshot: { _scheduledEvents: Record<string, ScheduledEvent> };
  _relay(source: AnyActorRef | undefined, target: AnyActorRef, event: EventObject): void;
  _clock: Clock;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const hasFunctions = (value: unknown, names: readonly string[]): boolean =>
  isObject(value) && names.every((name) => typeof value[name] === 'function');

/**
 * Whether `system` has the internals this scheduler needs, and no delayed event pending yet
 * (an event the stock scheduler already holds could not be cancelled through the index).
 */
function hasInternals(system: unknown): system is SystemInternals {
  if (!isObject(system)) return false;
  const snapshot = system._snapshot;
  return (
    hasFunctions(system.scheduler, ['schedule', 'cancel', 'cancelAll']) &&
    typeof system._relay === 'function' &&
    hasFunctions(system._clock, ['setTimeout', 'clearTimeout']) &&
    isObject(snapshot) &&
    isObject(snapshot._scheduledEvents) &&
    Object.keys(snapshot._scheduledEvents).length === 0
  );
}

/** The systems that already run an indexed scheduler. */
const indexed = new WeakSet<object>();

function indexedScheduler(system: SystemInternals): Scheduler {
  /** Timer handles by the system's key for an event (`${source.sessionId}.${id}`, as XState builds it). */
  const timers = new Map<string, unknown>();
  /**
   * The keys of each source actor's pending events: the key itself while it has one (most
   * actors hold one timer at a time: a backoff, a watchdog), a Set from the second on.
   */
  const bySource = new Map<AnyActorRef, string | Set<string>>();

  const index = (source: AnyActorRef, key: string): void => {
    const keys = bySource.get(source);
    if (keys === undefined || keys === key) bySource.set(source, key);
    else if (typeof keys === 'string') bySource.set(source, new Set([keys, key]));
    else keys.add(key);
  };

  const forget = (source: AnyActorRef, key: string): void => {
    timers.delete(key);
    delete system._snapshot._scheduledEvents[key];
    const keys = bySource.get(source);
    // An actor's entry goes with its last event, so the index holds no stopped actor.
    if (keys === key) bySource.delete(source);
    else if (typeof keys === 'object') {
      keys.delete(key);
      if (keys.size === 0) bySource.delete(source);
    }
  };

  const clear = (key: string): void => {
    system._clock.clearTimeout(timers.get(key));
    timers.delete(key);
    delete system._snapshot._scheduledEvents[key];
  };

  const scheduler: Scheduler = {
    schedule(source, target, event, delay, id = Math.random().toString(36).slice(2)) {
      const key = `${source.sessionId}.${id}`;
      system._snapshot._scheduledEvents[key] = { source, target, event, delay, id, startedAt: Date.now() };
      const handle = system._clock.setTimeout(() => {
        // A rescheduled id replaced this timer's bookkeeping: leave the newer one alone.
        if (timers.get(key) === handle) forget(source, key);
        system._relay(source, target, event);
      }, delay);
      timers.set(key, handle);
      index(source, key);
    },
    cancel(source, id) {
      const key = `${source.sessionId}.${id}`;
      // XState cancels an `after` event on leaving its state even when that event fired.
      if (!timers.has(key)) return;
      system._clock.clearTimeout(timers.get(key));
      forget(source, key);
    },
    cancelAll(actorRef) {
      const keys = bySource.get(actorRef);
      if (keys === undefined) return;
      bySource.delete(actorRef);
      if (typeof keys === 'string') clear(keys);
      else for (const key of keys) clear(key);
    },
  };
  return scheduler;
}

/**
 * Gives the actor system of `actor` a scheduler whose `cancelAll` costs O(the stopping
 * actor's own delayed events) instead of O(every delayed event of the system): with it, a
 * restart in a group of 10k workers that hold pending timers costs what it costs in a group
 * of 100. `runGroup`, `startGroup` and `supervise` call it for you; call it yourself when you
 * create the group (or any) actor with `createActor`, before `actor.start()`.
 *
 * Everything else stays XState's: the system's clock (a `SimulatedClock` or fake timers),
 * inspection, `system.get()`, `system.getSnapshot()`. Returns `true` when the system now
 * runs the indexed scheduler, `false` when it keeps the stock one: an XState version
 * without the internals it relies on, or a system that already holds delayed events
 * (install it before `start()`). The stock scheduler is correct, only slower.
 *
 * @example
 * ```ts
 * import { createActor } from 'xstate';
 * import { groupMachine, installIndexedScheduler } from 'xstate-supervisor';
 *
 * const group = createActor(groupMachine, { input: { workers } });
 * installIndexedScheduler(group);
 * group.start();
 * ```
 */
export function installIndexedScheduler(actor: AnyActorRef): boolean {
  const system: unknown = actor.system;
  if (isObject(system) && indexed.has(system)) return true;
  if (!hasInternals(system)) return false;
  system.scheduler = indexedScheduler(system);
  indexed.add(system);
  return true;
}
