import type { ResourceLimits } from 'node:worker_threads';
import { Worker } from 'node:worker_threads';
import { onAbandoned } from '../machines/attempt.js';
import type { Work } from '../machines/types.js';
import {
  abortMessage,
  findTsx,
  handleOutbound,
  isTypeScript,
  moduleHref,
  siblingFile,
  type InboundMessage,
  type OutboundMessage,
  type ParentContext,
} from './boundary.js';
import { checkEnv, checkOptions, checkStrings, describe } from './options.js';

/** Options of {@link inThread}. */
export interface ThreadOptions {
  /** The thread's heap and stack limits; running out is a crash. @default Node's defaults (the parent's limits) */
  resourceLimits?: ResourceLimits;
  /** Node options for the thread. @default the parent's `process.execArgv` */
  execArgv?: string[];
  /** The thread's `process.env`, in place of a copy of the parent's. @default a copy of `process.env` */
  env?: Record<string, string>;
}

const bootstrap = siblingFile('thread-main');
const limitKeys = ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'] as const;

/**
 * Node 20 does not apply the parent's `--import tsx` hooks in a worker thread, so a thread
 * that must load TypeScript (this bootstrap run from source, or a `.ts` work module)
 * registers tsx's loaders itself before importing the bootstrap. Evaluated as a script.
 */
const entry = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx !== undefined) {
    const [esm, cjs] = await Promise.all([import(workerData.tsx.esmApi), import(workerData.tsx.cjsApi)]);
    esm.register();
    cjs.register();
  }
  await import(workerData.bootstrap);
})();
`;

/**
 * Makes a {@link Work} that runs each attempt in a worker thread of its own: work that
 * blocks the event loop (a CPU-bound loop), leaks memory or ignores its signal stalls only
 * its thread, and a stop always ends, because a thread can be terminated.
 *
 * The module (a `file:` URL or an absolute path) default-exports a `Work`; inside the
 * thread it gets `{ signal, name, attempt, heartbeat, ready, progress }`. STOP aborts that
 * signal (a message into the thread); `heartbeat()` and `ready()` cross back to the worker.
 * Its return value is the attempt's result (structured-cloned); a thrown Error comes back
 * with its name, message, stack, `cause` and own properties, any other thrown value
 * structured-cloned. An uncaught exception, `process.exit()` in the thread, running out of
 * `resourceLimits` or a module that cannot be loaded is a crash with an Error that says so.
 * When the stop's wait runs out (`stopTimeoutMs`), or the worker is stopped from outside,
 * the thread is terminated.
 *
 * A `.ts` module loads when tsx is installed (it is registered in the thread).
 * Throws a `TypeError` for a bad module path or option, at once.
 *
 * @example
 * ```ts
 * import { runGroup, inThread } from 'xstate-supervisor';
 *
 * await runGroup([
 *   { name: 'parser', work: inThread(new URL('./parse.js', import.meta.url)), stopTimeoutMs: 5000 },
 * ]);
 * ```
 */
export function inThread(module: string | URL, options?: ThreadOptions): Work {
  const href = moduleHref(module, 'module');
  const raw = checkOptions(options, ['resourceLimits', 'execArgv', 'env']);
  const resourceLimits = checkResourceLimits(raw.resourceLimits);
  const execArgv = raw.execArgv === undefined ? undefined : checkStrings(raw.execArgv, 'execArgv');
  const env = raw.env === undefined ? undefined : checkEnv(raw.env, 'env');
  const needsTsx = isTypeScript(bootstrap.href) || isTypeScript(href);

  return (context: ParentContext) =>
    new Promise((resolve, reject) => {
      const tsx = needsTsx ? findTsx(href) : undefined;
      if (needsTsx && tsx === undefined) {
        reject(new Error(`Cannot load the work module ${href} in a thread: it is TypeScript and tsx is not installed`));
        return;
      }
      const start: Extract<InboundMessage, { type: 'supervisor.start' }> = {
        type: 'supervisor.start',
        module: href,
        name: context.name,
        attempt: context.attempt,
        progress: context.progress,
      };
      let thread: Worker;
      try {
        thread = new Worker(entry, {
          eval: true,
          workerData: { ...start, bootstrap: bootstrap.href, tsx },
          ...(resourceLimits === undefined ? {} : { resourceLimits }),
          ...(execArgv === undefined ? {} : { execArgv }),
          ...(env === undefined ? {} : { env }),
        });
      } catch (error) {
        // A `progress` that cannot be cloned, execArgv Node refuses in a thread, …
        reject(error instanceof Error ? error : new Error('The work thread could not be started', { cause: error }));
        return;
      }

      let outcome: { value: unknown } | { error: unknown } | undefined;
      const abort = (): void => thread.postMessage(abortMessage(context.signal.reason));
      const terminate = (): void => void thread.terminate();
      const removeAbandoned = onAbandoned(context.signal, terminate);
      if (context.signal.aborted) abort();
      else context.signal.addEventListener('abort', abort, { once: true });

      thread.on('message', (message: OutboundMessage) => {
        if (outcome !== undefined) return;
        handleOutbound(message, context, (settled) => {
          outcome = settled;
          // The attempt is over: whatever the work left behind in the thread ends with it.
          terminate();
        });
      });
      thread.on('error', (error) => {
        outcome ??= { error: threadError(error, href) };
      });
      thread.on('exit', (code) => {
        context.signal.removeEventListener('abort', abort);
        removeAbandoned();
        const settled = outcome ?? {
          error: Object.assign(new Error(`The work thread of ${href} exited with code ${code} before its work settled (process.exit() in the thread?)`), {
            exitCode: code,
            signalCode: null,
          }),
        };
        if ('value' in settled) resolve(settled.value);
        // Any thrown value is a crash and is reported as it was thrown, Error or not.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        else reject(settled.error);
      });
    });
}

/** An uncaught exception in the thread is reported as it is; running out of memory says so. */
function threadError(error: Error, href: string): Error {
  if ((error as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new Error(`The work thread of ${href} ran out of memory (resourceLimits): ${error.message}`, { cause: error });
  }
  return error;
}

function checkResourceLimits(value: unknown): ResourceLimits | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`Expected \`resourceLimits\` to be an object, got ${describe(value)}`);
  }
  const limits = value as Record<string, unknown>;
  for (const key of Object.keys(limits)) {
    if (!(limitKeys as readonly string[]).includes(key)) {
      throw new TypeError(`Unknown option \`resourceLimits.${key}\`; expected one of ${limitKeys.join(', ')}`);
    }
  }
  for (const key of limitKeys) {
    const limit = limits[key];
    if (limit === undefined) continue;
    if (typeof limit !== 'number' || !Number.isFinite(limit) || limit <= 0) {
      throw new RangeError(`Expected \`resourceLimits.${key}\` to be a positive number of megabytes, got ${describe(limit)}`);
    }
  }
  return limits;
}
