/**
 * The clock runGroup() and supervise() give XState. A zero delay (a `backoff.initialMs`
 * of 0) yields to the event loop with setImmediate instead of setTimeout(0), which Node
 * clamps to 1 ms: a zero backoff means "restart after other work had its turn", not
 * "wait a millisecond". The timer functions are looked up on each call, so fake timers
 * installed by a test (vi.useFakeTimers) drive it.
 */
interface Clock {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const immediates = new WeakSet<object>();

export const nodeClock: Clock = {
  setTimeout(callback, ms) {
    if (ms > 0) return setTimeout(callback, ms);
    const handle = setImmediate(callback);
    immediates.add(handle);
    return handle;
  },
  clearTimeout(handle) {
    if (typeof handle === 'object' && handle !== null && immediates.has(handle)) {
      clearImmediate(handle as NodeJS.Immediate);
    } else {
      clearTimeout(handle as NodeJS.Timeout);
    }
  },
};
