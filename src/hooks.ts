import type { InspectionEvent, Observer } from 'xstate';
import type { SupervisorEventHandler } from '../machines/types.js';
import { checkLogger, eventLogger, type LogFields, type Logger } from './logger.js';
import { checkFunction, checkSignal, describe } from './options.js';

/** What `createActor` accepts as `inspect`: `createSkyInspector().inspect`, a function, … */
export type InspectionObserver = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

/**
 * Wraps a user callback so that a throw never reaches the machines: supervision goes on
 * and the first error of each callback is written to stderr once.
 */
export function guard<A extends unknown[]>(label: string, callback: (...args: A) => void): (...args: A) => void {
  let reported = false;
  return (...args) => {
    try {
      callback(...args);
    } catch (error) {
      if (reported) return;
      reported = true;
      process.stderr.write(`xstate-supervisor: ${label} threw; further errors from it are not reported\n`);
      console.error(error);
    }
  };
}

export function checkInspect(value: unknown): ((event: InspectionEvent) => void) | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'function') return guard('inspect', value as (event: InspectionEvent) => void);
  if (typeof value === 'object' && value !== null) {
    const observer = value as Observer<InspectionEvent>;
    if (typeof observer.next === 'function') {
      return guard('inspect', (event: InspectionEvent) => observer.next?.(event));
    }
  }
  throw new TypeError(`Expected \`inspect\` to be a function or an observer with next(), got ${describe(value)}`);
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
