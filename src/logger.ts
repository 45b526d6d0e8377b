import { formatWithOptions } from 'node:util';
import type { SupervisorEvent } from '../machines/types.js';
import { printable } from '../machines/thrown.js';
import { describe } from './options.js';

/** Where supervision logs go. `console` is one. */
export interface Logger {
  info(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

function write(message: string, details: unknown[]): void {
  let line: string;
  try {
    line = formatWithOptions({ colors: false }, `xstate-supervisor: ${message}`, ...details);
  } catch {
    // util.inspect throws on values whose getters or Proxy traps throw: print what can be.
    line = [`xstate-supervisor: ${message}`, ...details.map(printable)].join(' ');
  }
  process.stderr.write(`${line}\n`);
}

/** The default logger: one line per message on stderr, errors with their stack. */
export const stderrLogger: Logger = {
  info: (message, ...details) => write(message, details),
  warn: (message, ...details) => write(message, details),
  error: (message, ...details) => write(message, details),
};

export function checkLogger(value: unknown): Logger | false {
  if (value === undefined) return stderrLogger;
  if (value === false) return false;
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

/** What the Python reference logs, written from the event stream. */
export function logEvent(logger: Logger, event: SupervisorEvent): void {
  switch (event.type) {
    case 'worker.started':
      if (event.attempt > 1) logger.info(`worker ${event.name} restarted (attempt ${event.attempt})`);
      return;
    case 'worker.crashed':
      logger.error(
        `worker ${event.name} crashed (attempt ${event.attempt}); restarting in ${seconds(event.delayMs)}`,
        event.error,
      );
      return;
    case 'worker.exited':
      if (event.restartInMs === undefined) logger.info(`worker ${event.name} exited cleanly; not restarting`);
      else logger.info(`worker ${event.name} exited cleanly; restarting in ${seconds(event.restartInMs)} (restart: always)`);
      return;
    case 'worker.failed':
      logger.error(`worker ${event.name} failed after ${event.attempts} attempts; not restarting`, event.error);
      return;
    case 'worker.stopped':
      if (event.stopTimedOut) {
        logger.warn(
          `worker ${event.name} did not settle within ${seconds(event.stopTimeoutMs)} after its stop signal; stopped without waiting further`,
        );
      } else {
        logger.info(`worker ${event.name} stopped`);
      }
      return;
    case 'group.stopping':
      logger.info(`group: stopping ${event.workers} workers`);
      return;
    case 'group.stopped':
      logger.info(`group: shut down (${event.workers} workers)`);
      return;
  }
}
