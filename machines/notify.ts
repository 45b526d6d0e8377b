import { printable } from './thrown.js';
import type { SupervisorEvent, SupervisorEventHandler } from './types.js';

/**
 * The one guard every user callback (the `onEvent` hook, a logger, an inspection observer)
 * is called through. A hook that throws must not become an actor error, which would end
 * supervision; a hook that returns a promise that rejects must not become an unhandled
 * rejection, which ends a default Node process. Either way `report` gets the thrown value,
 * the first time only (a hook that throws on every event would flood the log), and the
 * caller goes on. `report` itself must not throw: {@link printable} is safe for that.
 *
 * @example
 * ```ts
 * const hook = guardHook((error) => console.error(`onEvent threw: ${printable(error)}`), userHook);
 * hook(event); // never throws, never leaves a rejection unhandled
 * ```
 */
export function guardHook<A extends unknown[]>(
  report: (error: unknown) => void,
  callback: (...args: A) => unknown,
): (...args: A) => void {
  let reported = false;
  const once = (error: unknown): void => {
    if (reported) return;
    reported = true;
    try {
      report(error);
    } catch {
      // Nowhere left to say it: supervision matters more than this one message.
    }
  };
  return (...args) => {
    let result: unknown;
    try {
      result = callback(...args);
    } catch (error) {
      once(error);
      return;
    }
    catchRejection(result, once);
  };
}

/**
 * Hands a rejection of `value` to `onRejected` when `value` is a thenable. Reading `then`
 * and calling it are user code too (a Proxy, a getter, a `then` that throws).
 */
function catchRejection(value: unknown, onRejected: (error: unknown) => void): void {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return;
  try {
    const then = (value as { then?: unknown }).then;
    if (typeof then !== 'function') return;
    (then as (resolve: () => void, reject: (error: unknown) => void) => unknown).call(
      value,
      () => undefined,
      onRejected,
    );
  } catch (error) {
    onRejected(error);
  }
}

/** The guarded hook of each handler, so that "reported once" holds per hook. */
const guarded = new WeakMap<SupervisorEventHandler, SupervisorEventHandler>();

/**
 * Hands an event to the hook, if any, through {@link guardHook}: its first error is written
 * to the console (in a form that cannot throw) and supervision goes on.
 */
export function notify(handler: SupervisorEventHandler | undefined, event: SupervisorEvent): void {
  if (handler === undefined) return;
  let hook = guarded.get(handler);
  if (hook === undefined) {
    hook = guardHook((error) => {
      console.error(`xstate-supervisor: onEvent threw; further errors from it are not reported\n${printable(error)}`);
    }, handler);
    guarded.set(handler, hook);
  }
  hook(event);
}
