import { formatWithOptions } from 'node:util';
import { printable } from '../machines/thrown.js';
import type { SupervisorEventHandler } from '../machines/types.js';
import { describe } from './options.js';

/**
 * The structured fields of one log line: what pino and bunyan take as their first argument.
 * Only the fields that apply to the line are set.
 */
export interface LogFields {
  /** The worker's name. */
  worker?: string;
  /** The attempt the line is about (1, 2, …). */
  attempt?: number;
  /** How many attempts the worker made in all. */
  attempts?: number;
  /** How long until the next attempt starts. */
  delayMs?: number;
  /** What the work threw: under pino's and bunyan's `err` key, which they serialize with its stack. */
  err?: unknown;
  /** How many workers the line is about (hosted, stopping, shut down). */
  workers?: number;
  /** The stop timeout that ran out. */
  stopTimeoutMs?: number;
  /** Which watchdog found the attempt hung: `'ready'`, `'heartbeat'` or `'attempt'`. */
  timeout?: string;
  /** The process signal received. */
  signal?: string;
}

/**
 * Where supervision logs go. Each method is called with the line's fields first and its
 * message second, as pino and bunyan take them: `logger.error({ err, worker, attempt,
 * delayMs }, 'worker a crashed (attempt 1); restarting in 1s')`. Pass a pino or bunyan
 * logger as it is. `console` itself is recognised and called console-style instead
 * (`console.error(message, err)`); for winston, whose methods take `(message, meta)`, swap
 * the two arguments in a three-line adapter (see the README).
 */
export interface Logger {
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

function write(fields: LogFields, message: string): void {
  const line = `xstate-supervisor: ${message}`;
  // The error (with its stack) follows the message; the other fields are in its words already.
  let text = line;
  if ('err' in fields) {
    try {
      text = formatWithOptions({ colors: false }, line, fields.err);
    } catch {
      // util.inspect throws on values whose getters or Proxy traps throw: print what can be.
      text = `${line} ${printable(fields.err)}`;
    }
  }
  process.stderr.write(`${text}\n`);
}

/** The default logger: one readable line per message on stderr, errors with their stack. */
export const stderrLogger: Logger = { info: write, warn: write, error: write };

/** `console` takes `(message, ...values)`: the message first, then the error if there is one. */
function consoleStyle(target: Console): Logger {
  const call = (level: 'info' | 'warn' | 'error') => (fields: LogFields, message: string) => {
    // Looked up at each call, so that a method replaced later (a spy, a patch) is the one used.
    if ('err' in fields) target[level](message, fields.err);
    else target[level](message);
  };
  return { info: call('info'), warn: call('warn'), error: call('error') };
}

export function checkLogger(value: unknown): Logger | false {
  if (value === undefined) return stderrLogger;
  if (value === false) return false;
  if (value === console) return consoleStyle(console);
  if (typeof value === 'object' && value !== null) {
    const { info, warn, error } = value as Partial<Record<keyof Logger, unknown>>;
    if (typeof info === 'function' && typeof warn === 'function' && typeof error === 'function') {
      return value as Logger;
    }
  }
  throw new TypeError(
    `Expected \`logger\` to be false or an object with info, warn and error methods, got ${describe(value)}`,
  );
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${+(ms / 1000).toFixed(1)}s`;
}

/** `1 worker`, `2 workers`. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * What the Python reference logs, written from one group's (or one worker's) event stream.
 * Keeps the names of the live workers (started, not yet done, stopped or failed), so that
 * "stopping N workers" counts the ones a stop waits for.
 */
export function eventLogger(logger: Logger): SupervisorEventHandler {
  const live = new Set<string>();
  return (event) => {
    switch (event.type) {
      case 'worker.started':
        live.add(event.name);
        if (event.attempt > 1) {
          logger.info({ worker: event.name, attempt: event.attempt }, `worker ${event.name} restarted (attempt ${event.attempt})`);
        }
        return;
      case 'worker.crashed':
        logger.error(
          { worker: event.name, attempt: event.attempt, delayMs: event.delayMs, err: event.error },
          `worker ${event.name} crashed (attempt ${event.attempt}); restarting in ${seconds(event.delayMs)}`,
        );
        return;
      case 'worker.exited':
        if (event.restartInMs === undefined) {
          live.delete(event.name);
          logger.info({ worker: event.name, attempt: event.attempt }, `worker ${event.name} exited cleanly; not restarting`);
        } else {
          logger.info(
            { worker: event.name, attempt: event.attempt, delayMs: event.restartInMs },
            `worker ${event.name} exited cleanly; restarting in ${seconds(event.restartInMs)} (restart: always)`,
          );
        }
        return;
      case 'worker.failed':
        live.delete(event.name);
        logger.error(
          { worker: event.name, attempts: event.attempts, err: event.error },
          `worker ${event.name} failed after ${count(event.attempts, 'attempt')}; not restarting`,
        );
        return;
      case 'worker.stopped':
        live.delete(event.name);
        if (event.stopTimedOut) {
          logger.warn(
            { worker: event.name, attempts: event.attempts, stopTimeoutMs: event.stopTimeoutMs },
            `worker ${event.name} did not settle within ${seconds(event.stopTimeoutMs)} after its stop signal; stopped without waiting further`,
          );
        } else {
          logger.info({ worker: event.name, attempts: event.attempts }, `worker ${event.name} stopped`);
        }
        return;
      case 'group.stopping':
        logger.info({ workers: live.size }, `group: stopping ${count(live.size, 'worker')}`);
        return;
      case 'group.stopped':
        logger.info({ workers: event.workers }, `group: shut down (${count(event.workers, 'worker')})`);
        return;
      case 'worker.hung':
        logger.warn(
          { worker: event.name, attempt: event.attempt, timeout: event.timeout },
          `worker ${event.name} hung (attempt ${event.attempt}, ${event.timeout} timeout); aborting it`,
        );
        return;
      case 'worker.abandoned':
        logger.warn(
          { worker: event.name, attempt: event.attempt, stopTimeoutMs: event.stopTimeoutMs },
          `worker ${event.name}: hung attempt ${event.attempt} did not settle within ${seconds(event.stopTimeoutMs)} after its abort; going on without it`,
        );
        return;
    }
  };
}
