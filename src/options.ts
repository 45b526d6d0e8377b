import { inspect as show } from 'node:util';
import { resolveBackoff, type BackoffOptions } from '../machines/backoff.js';
import type { WorkerOptions, WorkerSpec } from '../machines/types.js';

/** The largest delay a Node timer honours; a longer one fires at once. */
export const maxTimerMs = 2 ** 31 - 1;

export function describe(value: unknown): string {
  return show(value, { depth: 1, breakLength: Infinity });
}

/** A thrown value in one line's worth of words: `Name: message` for an Error, else as shown. */
export function summarize(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : describe(error);
}

function fail(ErrorType: typeof TypeError | typeof RangeError, path: string, expected: string, value: unknown): never {
  throw new ErrorType(`Expected \`${path}\` to be ${expected}, got ${describe(value)}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(object: Record<string, unknown>, path: string, allowed: readonly string[]): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) {
      const where = path === '' ? key : `${path}.${key}`;
      throw new TypeError(`Unknown option \`${where}\`; expected one of ${allowed.join(', ')}`);
    }
  }
}

function checkDelay(value: unknown, path: string, minimum = 0): number {
  if (typeof value !== 'number') fail(TypeError, path, 'a number of milliseconds', value);
  if (!Number.isFinite(value) || value < minimum || value > maxTimerMs) {
    fail(RangeError, path, `a finite number of milliseconds from ${minimum} to ${maxTimerMs}`, value);
  }
  return value;
}

function checkOptionalObject(value: unknown, path: string): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) fail(TypeError, path, 'an object', value);
  return value;
}

const backoffKeys = ['initialMs', 'factor', 'maxMs', 'jitter', 'resetAfterMs'] as const;

export function checkOneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(TypeError, path, `one of ${allowed.map((item) => `'${item}'`).join(', ')}`, value);
  }
  return value as T;
}

function checkBackoff(value: unknown, path: string): BackoffOptions | undefined {
  const backoff = checkOptionalObject(value, path);
  if (backoff === undefined) return undefined;
  checkKeys(backoff, path, backoffKeys);
  const result: BackoffOptions = {};
  if (backoff.initialMs !== undefined) result.initialMs = checkDelay(backoff.initialMs, `${path}.initialMs`);
  if (backoff.maxMs !== undefined) result.maxMs = checkDelay(backoff.maxMs, `${path}.maxMs`);
  if (backoff.factor !== undefined) {
    const { factor } = backoff;
    if (typeof factor !== 'number') fail(TypeError, `${path}.factor`, 'a number', factor);
    if (!Number.isFinite(factor) || factor < 1) fail(RangeError, `${path}.factor`, 'a finite number ≥ 1', factor);
    result.factor = factor;
  }
  if (backoff.jitter !== undefined) result.jitter = checkOneOf(backoff.jitter, `${path}.jitter`, ['none', 'full', 'equal']);
  if (backoff.resetAfterMs !== undefined) {
    result.resetAfterMs = checkDelay(backoff.resetAfterMs, `${path}.resetAfterMs`, 1);
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
  const limit = checkOptionalObject(value, path);
  if (limit === undefined) return undefined;
  checkKeys(limit, path, ['count', 'withinMs']);
  const { count } = limit;
  if (typeof count !== 'number') fail(TypeError, `${path}.count`, 'a number', count);
  if (!Number.isSafeInteger(count) || count < 0) fail(RangeError, `${path}.count`, 'an integer ≥ 0', count);
  return { count, withinMs: checkDelay(limit.withinMs, `${path}.withinMs`, 1) };
}

/** The keys of {@link WorkerOptions}, checked where worker options are accepted. */
export const workerOptionKeys = ['restart', 'backoff', 'maxRestarts', 'stopTimeoutMs'] as const;

/** Validates the worker options found on `object` (a spec or supervise()'s options). */
export function checkWorkerOptions(object: Record<string, unknown>, path: string): WorkerOptions {
  const prefix = path === '' ? '' : `${path}.`;
  const result: WorkerOptions = {};
  if (object.restart !== undefined) {
    result.restart = checkOneOf(object.restart, `${prefix}restart`, ['on-failure', 'always', 'never']);
  }
  const backoff = checkBackoff(object.backoff, `${prefix}backoff`);
  if (backoff !== undefined) result.backoff = backoff;
  const maxRestarts = checkMaxRestarts(object.maxRestarts, `${prefix}maxRestarts`);
  if (maxRestarts !== undefined) result.maxRestarts = maxRestarts;
  if (object.stopTimeoutMs !== undefined) {
    result.stopTimeoutMs = checkDelay(object.stopTimeoutMs, `${prefix}stopTimeoutMs`);
  }
  return result;
}

export function checkName(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') fail(TypeError, path, 'a non-empty string', value);
  return value;
}

/** Whether `value` looks like XState actor logic (a machine, `fromPromise(…)`, …). */
function isActorLogic(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const logic = value as Record<string, unknown>;
  return typeof logic.transition === 'function' && typeof logic.getInitialSnapshot === 'function';
}

export function checkWork(value: unknown, path: string): WorkerSpec['work'] {
  if (typeof value !== 'function' && !isActorLogic(value)) fail(TypeError, path, 'a function or XState actor logic', value);
  return value as WorkerSpec['work'];
}

/** Validates one worker spec and returns a copy with only the known keys. */
export function checkSpec(item: unknown, path: string): WorkerSpec {
  if (!isPlainObject(item)) fail(TypeError, path, 'a worker spec object', item);
  checkKeys(item, path, ['name', 'work', ...workerOptionKeys]);
  const name = checkName(item.name, `${path}.name`);
  return { name, work: checkWork(item.work, `${path}.work`), ...checkWorkerOptions(item, path) };
}

/** Validates the specs of a group and returns a copy, so later changes by the caller do not reach the group. */
export function checkSpecs(value: unknown): WorkerSpec[] {
  if (!Array.isArray(value)) fail(TypeError, 'specs', 'an array of worker specs', value);
  const seen = new Set<string>();
  return value.map((item: unknown, index) => {
    const path = `specs[${index}]`;
    const spec = checkSpec(item, path);
    if (seen.has(spec.name)) {
      throw new TypeError(`Expected unique worker names, got ${describe(spec.name)} twice (\`${path}.name\`)`);
    }
    seen.add(spec.name);
    return spec;
  });
}

/** Checks the options object itself and that it only has known keys. */
export function checkOptions(value: unknown, allowed: readonly string[]): Record<string, unknown> {
  const options = checkOptionalObject(value, 'options') ?? {};
  checkKeys(options, '', allowed);
  return options;
}

export function checkSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
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
