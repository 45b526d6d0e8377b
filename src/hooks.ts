import type { InspectionEvent, Observer } from 'xstate';
import { guardHook } from '../machines/notify.js';
import { printable } from '../machines/thrown.js';
import type { SupervisorEventHandler } from '../machines/types.js';
import { checkLogger, eventLogger, type LogFields, type Logger } from './logger.js';
import { checkFunction, checkSignal, describe } from './options.js';

/** What `createActor` accepts as `inspect`: `createSkyInspector().inspect`, a function, … */
export type InspectionObserver = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

/**
 * Wraps a user callback (a logger method, `onEvent`, an inspection observer) so that
 * nothing it does reaches the machines: a synchronous throw and the rejection of a
 * returned promise, of any value, are caught; the first one is written to stderr in a form
 * that cannot throw ({@link printable}), and supervision goes on.
 *
 * @example
 * ```ts
 * const onEvent = guard('onEvent', userHook);
 * onEvent(event); // never throws, never leaves a rejection unhandled
 * ```
 */
export function guard<A extends unknown[]>(label: string, callback: (...args: A) => unknown): (...args: A) => void {
  return guardHook((error) => {
    process.stderr.write(
      `xstate-supervisor: ${label} threw; further errors from it are not reported\n${printable(error)}\n`,
    );
  }, callback);
}

export function checkInspect(value: unknown): ((event: InspectionEvent) => void) | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'function') return guard('inspect', value as (event: InspectionEvent) => void);
  if (typeof value === 'object' && value !== null) {
    const observer = value as Observer<InspectionEvent>;
    if (typeof readNext(observer) === 'function') {
      return guard('inspect', (event: InspectionEvent) => observer.next?.(event));
    }
  }
  throw new TypeError(`Expected \`inspect\` to be a function or an observer with next(), got ${describe(value)}`);
}

/** `observer.next`, or undefined when reading it throws (a getter, a Proxy trap). */
function readNext(observer: Observer<InspectionEvent>): unknown {
  try {
    return observer.next;
  } catch {
    return undefined;
  }
}

/** The logger with every method guarded, sharing one "reported once". */
export function guardLogger(logger: Logger | false): Logger | false {
  if (logger === false) return false;
  // Called as a method of the logger: pino and bunyan read their own `this`.
  const call = guard('logger', (level: keyof Logger, fields: LogFields, message: string) => logger[level](fields, message));
  return {
    info: (fields, message) => call('info', fields, message),
    warn: (fields, message) => call('warn', fields, message),
    error: (fields, message) => call('error', fields, message),
  };
}

/** One event handler that logs and then calls the user's hook (guarded). */
export function eventHandler(
  logger: Logger | false,
  onEvent: SupervisorEventHandler | undefined,
): SupervisorEventHandler | undefined {
  const log = logger === false ? undefined : eventLogger(logger);
  const user = onEvent === undefined ? undefined : guard('onEvent', onEvent);
  if (log === undefined) return user;
  if (user === undefined) return log;
  return (event) => {
    log(event);
    user(event);
  };
}

/** The options runGroup() and supervise() share. */
export const runtimeOptionKeys = ['signal', 'logger', 'inspect', 'onEvent'] as const;

/** Checks the shared options; the logger comes back guarded. */
export function checkRuntimeOptions(raw: Record<string, unknown>) {
  return {
    signal: checkSignal(raw.signal),
    logger: guardLogger(checkLogger(raw.logger)),
    inspect: checkInspect(raw.inspect),
    onEvent: checkFunction<SupervisorEventHandler>(raw.onEvent, 'onEvent'),
  };
}
