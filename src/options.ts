import { inspect as show } from 'node:util';
import { resolveBackoff, type BackoffOptions } from '../machines/backoff.js';
import { isError, printable, summarize as summarizeThrown } from '../machines/thrown.js';
import type { WorkerOptions, WorkerSpec } from '../machines/types.js';

/** The largest delay a Node timer honours; a longer one fires at once. */
export const maxTimerMs = 2 ** 31 - 1;

/**
 * A value in one line, for an error message: what `util.inspect` shows, or, when
 * inspecting it throws (a getter or Proxy trap that throws), a shorter form that cannot.
 * Never throws.
 *
 * @example
 * ```ts
 * describe(new Map()); // 'Map(0) {}'
 * ```
 */
export function describe(value: unknown): string {
  try {
    return show(value, { depth: 1, breakLength: Infinity });
  } catch {
    return printable(value);
  }
}

/**
 * A thrown value in one line: `Name: message` for an Error (of any realm), else as
 * {@link describe} shows it. Never throws.
 *
 * @example
 * ```ts
 * summarize(new RangeError('too big')); // 'RangeError: too big'
 * ```
 */
export function summarize(error: unknown): string {
  return isError(error) ? summarizeThrown(error) : describe(error);
}

function fail(ErrorType: typeof TypeError | typeof RangeError, path: string, expected: string, value: unknown): never {
  throw new ErrorType(`Expected \`${path}\` to be ${expected}, got ${describe(value)}`);
}

/**
 * Whether `value` is a plain object: `{…}`, `Object.create(null)`, or one from another
 * realm (its prototype has no prototype). A Map, Date, array or class instance is not: read
 * as options, their own keys would silently be none. Never throws (a Proxy's traps may).
 */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  try {
    if (Array.isArray(value)) return false;
    const proto: unknown = Object.getPrototypeOf(value);
    return proto === null || Object.getPrototypeOf(proto) === null;
  } catch {
    return false;
  }
}

/** Fails unless `value` is a plain object: "an object" for a primitive, "a plain object" for a Map, …. */
function checkPlainObject(value: unknown, path: string, expected = 'an object'): Record<string, unknown> {
  if (isPlainObject(value)) return value;
  let what = expected;
  try {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) what = expected.replace(/^an? /, 'a plain ');
  } catch {
    // A revoked Proxy: "an object" says enough.
  }
  return fail(TypeError, path, what, value);
}

/**
 * A copy of the plain object `object` with its own keys, each read once, after checking
 * that there is no unknown one: a getter runs once (a value cannot change between the
 * check and its use), and one that throws fails here, naming the option.
 */
function checkKeys(object: Record<string, unknown>, path: string, allowed: readonly string[]): Record<string, unknown> {
  // No closure and no path string per key: this runs once per spec of a group of N.
  let keys: string[];
  try {
    keys = Object.keys(object);
  } catch (error) {
    throw unreadable(path === '' ? 'options' : path, error);
  }
  const copy: Record<string, unknown> = {};
  for (const key of keys) {
    if (!allowed.includes(key)) {
      throw new TypeError(`Unknown option \`${subPath(path, key)}\`; expected one of ${allowed.join(', ')}`);
    }
    // `key` is one of `allowed`, the package's own names: a safe plain-object key.
    try {
      copy[key] = object[key];
    } catch (error) {
      throw unreadable(subPath(path, key), error);
    }
  }
  return copy;
}

const subPath = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

function unreadable(where: string, error: unknown): TypeError {
  return new TypeError(`Could not read \`${where}\`: ${summarize(error)}`, { cause: error });
}

/** Whether {@link checkDelay} accepts `value` (checked first: its path is built only to fail). */
function isDelay(value: unknown, minimum = 0, above = false): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= minimum && !(above && value === minimum) && value <= maxTimerMs;
}

/**
 * A delay in ms from `minimum` (inclusive; with `above`, exclusive) to {@link maxTimerMs}.
 */
function checkDelay(value: unknown, path: string, minimum = 0, above = false): number {
  if (typeof value !== 'number') fail(TypeError, path, 'a number of milliseconds', value);
  if (!Number.isFinite(value) || value < minimum || (above && value === minimum) || value > maxTimerMs) {
    const range = above ? `above ${minimum} and at most ${maxTimerMs}` : `from ${minimum} to ${maxTimerMs}`;
    fail(RangeError, path, `a finite number of milliseconds ${range}`, value);
  }
  return value;
}

/** Undefined, or a copy of a plain object with only `allowed` keys. */
function checkOptionalObject(value: unknown, path: string, allowed: readonly string[]): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  return checkKeys(checkPlainObject(value, path), path, allowed);
}

const backoffKeys = ['initialMs', 'factor', 'maxMs', 'jitter', 'resetAfterMs'] as const;

export function checkOneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(TypeError, path, `one of ${allowed.map((item) => `'${item}'`).join(', ')}`, value);
  }
  return value as T;
}

function checkBackoff(value: unknown, path: string): BackoffOptions | undefined {
  const backoff = checkOptionalObject(value, path, backoffKeys);
  if (backoff === undefined) return undefined;
  const result: BackoffOptions = {};
  const { initialMs: initial, maxMs: max, factor } = backoff;
  if (initial !== undefined) result.initialMs = isDelay(initial) ? initial : checkDelay(initial, `${path}.initialMs`);
  if (max !== undefined) result.maxMs = isDelay(max) ? max : checkDelay(max, `${path}.maxMs`);
  if (factor !== undefined) {
    if (typeof factor !== 'number') fail(TypeError, `${path}.factor`, 'a number', factor);
    if (!Number.isFinite(factor) || factor < 1) fail(RangeError, `${path}.factor`, 'a finite number ≥ 1', factor);
    result.factor = factor;
  }
  if (backoff.jitter !== undefined) result.jitter = checkOneOf(backoff.jitter, `${path}.jitter`, ['none', 'full', 'equal']);
  if (backoff.resetAfterMs !== undefined) {
    result.resetAfterMs = checkDelay(backoff.resetAfterMs, `${path}.resetAfterMs`, 0, true);
  }
  const { initialMs, maxMs } = resolveBackoff(result);
  if (maxMs < initialMs) {
    throw new RangeError(
      `Expected \`${path}.maxMs\` (${maxMs}) to be at least \`${path}.initialMs\` (${initialMs})`,
    );
  }
  return result;
}

function checkMaxRestarts(value: unknown, path: string): WorkerOptions['maxRestarts'] {
  const limit = checkOptionalObject(value, path, ['count', 'withinMs']);
  if (limit === undefined) return undefined;
  const { count } = limit;
  if (typeof count !== 'number') fail(TypeError, `${path}.count`, 'a number', count);
  if (!Number.isSafeInteger(count) || count < 0) fail(RangeError, `${path}.count`, 'an integer ≥ 0', count);
  return { count, withinMs: checkDelay(limit.withinMs, `${path}.withinMs`, 0, true) };
}

/** The keys of {@link WorkerOptions}, checked where worker options are accepted. */
export const workerOptionKeys = [
  'restart',
  'backoff',
  'maxRestarts',
  'stopTimeoutMs',
  'readyTimeoutMs',
  'heartbeatTimeoutMs',
  'attemptTimeoutMs',
] as const;

/** Validates the worker options found on `object` (a spec or supervise()'s options). */
export function checkWorkerOptions(object: Record<string, unknown>, path: string): WorkerOptions {
  const result: WorkerOptions = {};
  // A path is built only for an option that is set (and a delay's only when it fails).
  if (object.restart !== undefined) {
    result.restart = checkOneOf(object.restart, subPath(path, 'restart'), ['on-failure', 'always', 'never']);
  }
  if (object.backoff !== undefined) {
    const backoff = checkBackoff(object.backoff, subPath(path, 'backoff'));
    if (backoff !== undefined) result.backoff = backoff;
  }
  if (object.maxRestarts !== undefined) {
    const maxRestarts = checkMaxRestarts(object.maxRestarts, subPath(path, 'maxRestarts'));
    if (maxRestarts !== undefined) result.maxRestarts = maxRestarts;
  }
  const { stopTimeoutMs } = object;
  if (stopTimeoutMs !== undefined) {
    result.stopTimeoutMs = isDelay(stopTimeoutMs) ? stopTimeoutMs : checkDelay(stopTimeoutMs, subPath(path, 'stopTimeoutMs'));
  }
  // A deadline of 0 would declare every attempt hung at its start.
  for (const key of deadlineKeys) {
    const value = object[key];
    if (value !== undefined) result[key] = isDelay(value, 0, true) ? value : checkDelay(value, subPath(path, key), 0, true);
  }
  return result;
}

const deadlineKeys = ['readyTimeoutMs', 'heartbeatTimeoutMs', 'attemptTimeoutMs'] as const;

export function checkName(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') fail(TypeError, path, 'a non-empty string', value);
  return value;
}

/** Whether `value` looks like XState actor logic (a machine, `fromPromise(…)`, …). */
function isActorLogic(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const logic = value as Record<string, unknown>;
  try {
    return typeof logic.transition === 'function' && typeof logic.getInitialSnapshot === 'function';
  } catch {
    return false;
  }
}

export function checkWork(value: unknown, path: string): WorkerSpec['work'] {
  if (typeof value !== 'function' && !isActorLogic(value)) fail(TypeError, path, 'a function or XState actor logic', value);
  return value as WorkerSpec['work'];
}

/** Validates one worker spec and returns a copy with only the known keys. */
export function checkSpec(item: unknown, path: string): WorkerSpec {
  const spec = checkKeys(checkPlainObject(item, path, 'a worker spec object'), path, specKeys);
  const { name, work } = spec;
  return {
    name: typeof name === 'string' && name !== '' ? name : checkName(name, `${path}.name`),
    work: typeof work === 'function' ? (work as WorkerSpec['work']) : checkWork(work, `${path}.work`),
    // A spread into the literal: written into it later, the options took a property
    // backing store of their own (80 bytes per spec instead of 48).
    ...checkWorkerOptions(spec, path),
  };
}

const specKeys = ['name', 'work', ...workerOptionKeys] as const;

/** Validates the specs of a group and returns a copy, so later changes by the caller do not reach the group. */
export function checkSpecs(value: unknown): WorkerSpec[] {
  const items = checkArray(value, 'specs', 'an array of worker specs');
  const seen = new Set<string>();
  return items.map((item: unknown, index) => {
    const path = `specs[${index}]`;
    const spec = checkSpec(item, path);
    if (seen.has(spec.name)) {
      throw new TypeError(`Expected unique worker names, got ${describe(spec.name)} twice (\`${path}.name\`)`);
    }
    seen.add(spec.name);
    return spec;
  });
}

/**
 * A copy of the array `value`, each element read once. A hole (`[, spec]`) fails, naming
 * it: `map` and `forEach` skip holes, so it would otherwise vanish or surface later.
 */
export function checkArray(value: unknown, path: string, expected: string): unknown[] {
  let isArray = false;
  try {
    isArray = Array.isArray(value);
  } catch {
    // A revoked Proxy: not an array we can read.
  }
  if (!isArray) fail(TypeError, path, expected, value);
  const array = value as unknown[];
  const copy: unknown[] = [];
  let hole: number | undefined;
  try {
    for (let index = 0; index < array.length && hole === undefined; index += 1) {
      if (index in array) copy.push(array[index]);
      else hole = index;
    }
  } catch (error) {
    throw new TypeError(`Could not read \`${path}\`: ${summarize(error)}`, { cause: error });
  }
  if (hole !== undefined) fail(TypeError, `${path}[${hole}]`, 'an element (the array has a hole here)', undefined);
  return copy;
}

/** Checks the options object itself and that it only has known keys. */
export function checkOptions(value: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (value === undefined) return {};
  return checkKeys(checkPlainObject(value, 'options'), '', allowed);
}

export function checkSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  let isSignal = false;
  try {
    isSignal = value instanceof AbortSignal;
  } catch {
    // A Proxy whose getPrototypeOf trap throws is no AbortSignal.
  }
  if (isSignal) return value as AbortSignal;
  return fail(TypeError, 'signal', 'an AbortSignal', value);
}

export function checkBoolean(value: unknown, path: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(TypeError, path, 'a boolean', value);
  return value;
}

export function checkFunction<T>(value: unknown, path: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') fail(TypeError, path, 'a function', value);
  return value as T;
}

/** An array of strings (execArgv, args), copied. */
export function checkStrings(value: unknown, path: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new TypeError(`Expected \`${path}\` to be an array of strings, got ${describe(value)}`);
  }
  return [...(value)];
}

/** An environment: an object of strings, copied into an object without a prototype (its keys are the user's). */
export function checkEnv(value: unknown, path: string): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`Expected \`${path}\` to be an object of strings, got ${describe(value)}`);
  }
  const env: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw new TypeError(`Expected \`${path}.${key}\` to be a string, got ${describe(item)}`);
    env[key] = item;
  }
  return env;
}
