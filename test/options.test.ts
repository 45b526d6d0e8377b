import { describe, expect, test, vi } from 'vitest';
import { runGroup, supervise } from '../src/index.js';

const work = () => undefined;

// [description, specs, options, error class, message fragment]
const groupCases: Array<[string, unknown, unknown, typeof TypeError | typeof RangeError, string]> = [
  ['specs not an array', { name: 'a', work }, undefined, TypeError, 'Expected `specs` to be an array of worker specs, got { name:'],
  ['a spec that is null', [null], undefined, TypeError, 'Expected `specs[0]` to be a worker spec object, got null'],
  ['an empty name', [{ name: '', work }], undefined, TypeError, "Expected `specs[0].name` to be a non-empty string, got ''"],
  ['a name that is not a string', [{ name: 7, work }], undefined, TypeError, 'Expected `specs[0].name` to be a non-empty string, got 7'],
  ['duplicate names', [{ name: 'a', work }, { name: 'a', work }], undefined, TypeError, "Expected unique worker names, got 'a' twice (`specs[1].name`)"],
  ['work not a function', [{ name: 'a', work: 'run' }], undefined, TypeError, "Expected `specs[0].work` to be a function or XState actor logic, got 'run'"],
  ['work an object that is not actor logic', [{ name: 'a', work: { transition: 1 } }], undefined, TypeError, 'Expected `specs[0].work` to be a function or XState actor logic, got { transition: 1 }'],
  ['maxRestarts not an object', [{ name: 'a', work, maxRestarts: 3 }], undefined, TypeError, 'Expected `specs[0].maxRestarts` to be an object, got 3'],
  ['a negative maxRestarts.count', [{ name: 'a', work, maxRestarts: { count: -1, withinMs: 1000 } }], undefined, RangeError, 'Expected `specs[0].maxRestarts.count` to be an integer ≥ 0, got -1'],
  ['a non-integer maxRestarts.count', [{ name: 'a', work, maxRestarts: { count: 2.5, withinMs: 1000 } }], undefined, RangeError, 'Expected `specs[0].maxRestarts.count` to be an integer ≥ 0, got 2.5'],
  ['a missing maxRestarts.count', [{ name: 'a', work, maxRestarts: { withinMs: 1000 } }], undefined, TypeError, 'Expected `specs[0].maxRestarts.count` to be a number, got undefined'],
  ['maxRestarts.withinMs of 0', [{ name: 'a', work, maxRestarts: { count: 3, withinMs: 0 } }], undefined, RangeError, 'Expected `specs[0].maxRestarts.withinMs` to be a finite number of milliseconds above 0 and at most 2147483647, got 0'],
  ['a negative maxRestarts.withinMs', [{ name: 'a', work, maxRestarts: { count: 3, withinMs: -5 } }], undefined, RangeError, 'got -5'],
  ['a missing maxRestarts.withinMs', [{ name: 'a', work, maxRestarts: { count: 3 } }], undefined, TypeError, 'Expected `specs[0].maxRestarts.withinMs` to be a number of milliseconds, got undefined'],
  ['an unknown maxRestarts key', [{ name: 'a', work, maxRestarts: { count: 3, windowMs: 5 } }], undefined, TypeError, 'Unknown option `specs[0].maxRestarts.windowMs`'],
  ['a resetAfterMs of 0', [{ name: 'a', work, backoff: { resetAfterMs: 0 } }], undefined, RangeError, 'Expected `specs[0].backoff.resetAfterMs` to be a finite number of milliseconds above 0 and at most 2147483647, got 0'],
  ['a string resetAfterMs', [{ name: 'a', work, backoff: { resetAfterMs: '30s' } }], undefined, TypeError, "Expected `specs[0].backoff.resetAfterMs` to be a number of milliseconds, got '30s'"],
  ['an unknown onGiveUp', [], { onGiveUp: 'restart' }, TypeError, "Expected `onGiveUp` to be one of 'isolate', 'escalate', got 'restart'"],
  ['an unknown spec key', [{ name: 'a', work, stopTimeout: 5 }], undefined, TypeError, 'Unknown option `specs[0].stopTimeout`'],
  ['a negative initialMs', [{ name: 'a', work, backoff: { initialMs: -1 } }], undefined, RangeError, 'Expected `specs[0].backoff.initialMs` to be a finite number of milliseconds from 0 to 2147483647, got -1'],
  ['a NaN maxMs', [{ name: 'a', work, backoff: { maxMs: NaN } }], undefined, RangeError, '`specs[0].backoff.maxMs`'],
  ['an infinite maxMs', [{ name: 'a', work, backoff: { maxMs: Infinity } }], undefined, RangeError, 'got Infinity'],
  ['a delay beyond what a timer honours', [{ name: 'a', work, backoff: { maxMs: 2 ** 31 } }], undefined, RangeError, 'got 2147483648'],
  ['a string delay', [{ name: 'a', work, backoff: { initialMs: '10' } }], undefined, TypeError, "Expected `specs[0].backoff.initialMs` to be a number of milliseconds, got '10'"],
  ['factor < 1', [{ name: 'a', work, backoff: { factor: 0.5 } }], undefined, RangeError, 'Expected `specs[0].backoff.factor` to be a finite number ≥ 1, got 0.5'],
  ['maxMs < initialMs', [{ name: 'a', work, backoff: { initialMs: 5000, maxMs: 1000 } }], undefined, RangeError, 'Expected `specs[0].backoff.maxMs` (1000) to be at least `specs[0].backoff.initialMs` (5000)'],
  ['maxMs below the default initialMs', [{ name: 'a', work, backoff: { maxMs: 10 } }], undefined, RangeError, '(10) to be at least'],
  ['backoff not an object', [{ name: 'a', work, backoff: 100 }], undefined, TypeError, 'Expected `specs[0].backoff` to be an object, got 100'],
  ['an unknown backoff key', [{ name: 'a', work, backoff: { max: 5 } }], undefined, TypeError, 'Unknown option `specs[0].backoff.max`'],
  ['a string factor', [{ name: 'a', work, backoff: { factor: '2' } }], undefined, TypeError, "Expected `specs[0].backoff.factor` to be a number, got '2'"],
  ['a string stopTimeoutMs', [{ name: 'a', work, stopTimeoutMs: '5s' }], undefined, TypeError, "Expected `specs[0].stopTimeoutMs` to be a number of milliseconds, got '5s'"],
  ['a restart mode that is not a string', [{ name: 'a', work, restart: true }], undefined, TypeError, 'Expected `specs[0].restart` to be one of'],
  ['a spec that is an array', [[]], undefined, TypeError, 'Expected `specs[0]` to be a worker spec object, got []'],
  ['an unknown restart mode', [{ name: 'a', work, restart: 'sometimes' }], undefined, TypeError, "Expected `specs[0].restart` to be one of 'on-failure', 'always', 'never', got 'sometimes'"],
  ['an unknown jitter', [{ name: 'a', work, backoff: { jitter: 'half' } }], undefined, TypeError, "Expected `specs[0].backoff.jitter` to be one of 'none', 'full', 'equal', got 'half'"],
  ['a negative stopTimeoutMs', [{ name: 'a', work, stopTimeoutMs: -5 }], undefined, RangeError, '`specs[0].stopTimeoutMs` to be a finite number of milliseconds from 0 to 2147483647, got -5'],
  ['options not an object', [], 'fast', TypeError, "Expected `options` to be an object, got 'fast'"],
  ['an unknown option', [], { installSignal: false }, TypeError, 'Unknown option `installSignal`'],
  ['a signal that is not an AbortSignal', [], { signal: {} }, TypeError, 'Expected `signal` to be an AbortSignal, got {}'],
  ['installSignals not a boolean', [], { installSignals: 'no' }, TypeError, "Expected `installSignals` to be a boolean, got 'no'"],
  ['a logger without methods', [], { logger: {} }, TypeError, 'Expected `logger` to be false or an object with info, warn and error methods, got {}'],
  ['logger true', [], { logger: true }, TypeError, 'got true'],
  ['inspect not a function or observer', [], { inspect: 1 }, TypeError, 'Expected `inspect` to be a function or an observer with next(), got 1'],
  ['onEvent not a function', [], { onEvent: 'log' }, TypeError, "Expected `onEvent` to be a function, got 'log'"],
];

describe('runGroup input validation', () => {
  test.each(groupCases)('rejects %s, naming the option and the value', async (_, specs, options, ErrorType, message) => {
    const spy = vi.fn();
    const withSpy = Array.isArray(specs)
      ? specs.map((spec: unknown) => (typeof spec === 'object' && spec !== null && 'work' in spec && typeof spec.work === 'function' ? { ...spec, work: spy } : spec))
      : specs;
    const listeners = process.listenerCount('SIGTERM');
    // @ts-expect-error: deliberately wrong input
    const result = runGroup(withSpy, options);
    await expect(result).rejects.toThrow(ErrorType);
    await expect(result).rejects.toThrow(message);
    expect(spy).not.toHaveBeenCalled();
    expect(process.listenerCount('SIGTERM')).toBe(listeners);
  });

  test('checks every spec before starting any', async () => {
    const first = vi.fn();
    await expect(runGroup([{ name: 'ok', work: first }, { name: 'bad', work: first, stopTimeoutMs: -1 }], { logger: false })).rejects.toThrow(RangeError);
    expect(first).not.toHaveBeenCalled();
  });
});

describe('supervise input validation', () => {
  test.each<[string, unknown, unknown, unknown, typeof TypeError | typeof RangeError, string]>([
    ['an empty name', '', work, undefined, TypeError, "Expected `name` to be a non-empty string, got ''"],
    ['work not a function', 'w', null, undefined, TypeError, 'Expected `work` to be a function or XState actor logic, got null'],
    ['a bad maxRestarts', 'w', work, { maxRestarts: { count: 1, withinMs: NaN } }, RangeError, 'Expected `maxRestarts.withinMs`'],
    ['a bad backoff', 'w', work, { backoff: { factor: NaN } }, RangeError, 'Expected `backoff.factor` to be a finite number ≥ 1, got NaN'],
    ['a bad stopTimeoutMs', 'w', work, { stopTimeoutMs: Infinity }, RangeError, 'Expected `stopTimeoutMs`'],
    ['runGroup-only options', 'w', work, { installSignals: false }, TypeError, 'Unknown option `installSignals`'],
  ])('rejects %s', async (_, name, workArg, options, ErrorType, message) => {
    // @ts-expect-error: deliberately wrong input
    const result = supervise(name, workArg, options);
    await expect(result).rejects.toThrow(ErrorType);
    await expect(result).rejects.toThrow(message);
  });
});
