import { fork, spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { onAbandoned } from '../machines/attempt.js';
import type { Work } from '../machines/types.js';
import {
  abortMessage,
  findTsx,
  handleOutbound,
  isTypeScript,
  moduleHref,
  parentHasTsx,
  siblingFile,
  type InboundMessage,
  type OutboundMessage,
  type ParentContext,
} from './boundary.js';
import { checkEnv, checkOptions, checkStrings, describe } from './options.js';

/** Options of {@link inChildProcess}. */
export interface ChildProcessOptions {
  /** The child's environment, in place of the parent's (spread `process.env` to extend it). @default process.env */
  env?: Record<string, string>;
  /** The child's working directory. @default process.cwd() */
  cwd?: string;
  /** What STOP sends to a command (a module gets its signal aborted over IPC instead). @default 'SIGTERM' */
  killSignal?: NodeJS.Signals;
}

/** The Error of a child process or thread that ended on its own terms: how it exited. */
export interface ExitError extends Error {
  /** The exit code, or null when a signal ended it. */
  exitCode: number | null;
  /** The signal that ended it, or null when it exited. */
  signalCode: NodeJS.Signals | null;
}

const bootstrap = siblingFile('child-main');

/**
 * Every child process still running. When this process exits — `process.exit()`, a second
 * SIGTERM, an uncaught exception — they are SIGKILLed synchronously on the way out: none
 * outlives its group. (A parent killed by SIGKILL runs no code: a module child then exits
 * when its IPC channel closes; a command cannot be reached.)
 */
const live = new Set<ChildProcess>();
const killAll = (): void => {
  for (const child of live) child.kill('SIGKILL');
};
function track(child: ChildProcess): void {
  if (live.size === 0) process.on('exit', killAll);
  live.add(child);
  child.once('exit', () => {
    live.delete(child);
    if (live.size === 0) process.off('exit', killAll);
  });
}

/**
 * Makes a {@link Work} that runs each attempt in a child process of its own: work that can
 * crash the process (a native addon, a memory leak), or must be killable, stalls nothing
 * in the parent, and a stop always ends, because a process can be killed.
 *
 * `target` is either a module (a `file:` URL or an absolute path) that default-exports a
 * `Work`, run by `node` with an IPC channel: it gets `{ signal, name, attempt, heartbeat,
 * ready, progress }` as in {@link inThread}, and its return value or thrown value comes
 * back the same way. Or a command, `{ command, args }`: STOP sends it `killSignal`, exit
 * code 0 is a clean exit, and any other exit or signal is a crash, reported as an
 * {@link ExitError} (a command that ends by `killSignal` or exits 0 after STOP has stopped).
 * When the stop's wait runs out (`stopTimeoutMs`), or the worker is stopped from outside,
 * the process is killed with SIGKILL.
 *
 * stdout and stderr are inherited (stdin is ignored): the child writes to the parent's
 * streams, as services under systemd or PM2 do. A `.ts` module runs with `--import tsx`
 * (added when the parent's `execArgv` lacks it). Throws a `TypeError` for a bad target
 * or option, at once.
 *
 * @example
 * ```ts
 * import { runGroup, inChildProcess } from 'xstate-supervisor';
 *
 * await runGroup([
 *   { name: 'indexer', work: inChildProcess(new URL('./indexer.js', import.meta.url)) },
 *   { name: 'tunnel', work: inChildProcess({ command: 'ssh', args: ['-N', 'bastion'] }), stopTimeoutMs: 3000 },
 * ]);
 * ```
 */
export function inChildProcess(
  target: string | URL | { command: string; args?: string[] },
  options?: ChildProcessOptions,
): Work {
  const raw = checkOptions(options, ['env', 'cwd', 'killSignal']);
  const env = raw.env === undefined ? undefined : checkEnv(raw.env, 'env');
  if (raw.cwd !== undefined && typeof raw.cwd !== 'string') {
    throw new TypeError(`Expected \`cwd\` to be a string, got ${describe(raw.cwd)}`);
  }
  const cwd = raw.cwd;
  const killSignal = raw.killSignal === undefined ? 'SIGTERM' : checkKillSignal(raw.killSignal);
  const spawnOptions = { ...(env === undefined ? {} : { env }), ...(cwd === undefined ? {} : { cwd }) };

  if (typeof target === 'object' && !(target instanceof URL)) {
    const { command, args } = checkCommand(target);
    return (context: ParentContext) =>
      runChild(context, () => spawn(command, args, { ...spawnOptions, stdio: ['ignore', 'inherit', 'inherit'] }), {
        label: `command ${describe(command)}`,
        stop: (child) => child.kill(killSignal),
        stoppedBy: killSignal,
      });
  }
  const href = moduleHref(target, 'target');
  const needsTsx = isTypeScript(bootstrap.href) || isTypeScript(href);
  return (context: ParentContext) => {
    let execArgv = process.execArgv;
    if (needsTsx && !parentHasTsx(execArgv)) {
      const tsx = findTsx(href);
      if (tsx === undefined) {
        return Promise.reject(new Error(`Cannot load the work module ${href} in a child process: it is TypeScript and tsx is not installed`));
      }
      execArgv = [...execArgv, '--import', tsx.loader];
    }
    const start: InboundMessage = {
      type: 'supervisor.start',
      module: href,
      name: context.name,
      attempt: context.attempt,
      progress: context.progress,
    };
    return runChild(
      context,
      () => {
        const child = fork(fileURLToPath(bootstrap), [], {
          ...spawnOptions,
          execArgv,
          serialization: 'advanced',
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        child.send(start);
        return child;
      },
      {
        label: `module ${href}`,
        stop: (child) => {
          if (child.connected) child.send(abortMessage(context.signal.reason), () => {});
        },
        stoppedBy: undefined,
      },
    );
  };
}

interface ChildKind {
  label: string;
  /** What STOP does to the child. */
  stop(child: ChildProcess): void;
  /** A command ended by this signal after STOP has stopped, not crashed. */
  stoppedBy: NodeJS.Signals | undefined;
}

/** One attempt in one child process, from its spawn to its exit. */
function runChild(context: ParentContext, start: () => ChildProcess, kind: ChildKind): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = start();
    } catch (error) {
      reject(error instanceof Error ? error : new Error('The work process could not be started', { cause: error }));
      return;
    }
    let outcome: { value: unknown } | { error: unknown } | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const abort = (): void => kind.stop(child);
    const kill = (): void => void child.kill('SIGKILL');
    const removeAbandoned = onAbandoned(context.signal, kill);

    const finish = (): void => {
      context.signal.removeEventListener('abort', abort);
      removeAbandoned();
      const settled = outcome ?? exitOutcome(context, kind, exit);
      if ('value' in settled) resolve(settled.value);
      // Any thrown value is a crash and is reported as it was thrown, Error or not.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      else reject(settled.error);
    };
    // A module child's last message may arrive after its exit: settle once both are in,
    // or once the channel is closed (then no message is coming).
    const maybeFinish = (): void => {
      if (exit !== undefined && (outcome !== undefined || !child.connected)) finish();
    };

    child.on('error', (error) => {
      // The process could not be spawned (ENOENT, EACCES): there is no exit to wait for.
      if (child.pid === undefined && outcome === undefined) {
        outcome = { error };
        exit = { code: null, signal: null };
        finish();
      }
    });
    if (child.pid === undefined) return;
    track(child);
    child.on('message', (message: OutboundMessage) => {
      if (outcome !== undefined) return;
      handleOutbound(message, context, (settled) => {
        outcome = settled;
        maybeFinish();
      });
    });
    child.on('disconnect', maybeFinish);
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      maybeFinish();
    });
    if (context.signal.aborted) abort();
    else context.signal.addEventListener('abort', abort, { once: true });
  });
}

function exitOutcome(
  context: ParentContext,
  kind: ChildKind,
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined,
): { value: unknown } | { error: unknown } {
  const code = exit?.code ?? null;
  const signal = exit?.signal ?? null;
  if (kind.stoppedBy !== undefined) {
    if (code === 0) return { value: undefined };
    const stopped = signal === kind.stoppedBy || code === 128 + constants.signals[kind.stoppedBy];
    if (context.signal.aborted && stopped) return { value: undefined };
  }
  const how = signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
  const error = new Error(
    kind.stoppedBy === undefined ? `The work process of ${kind.label} ${how} before its work settled` : `The ${kind.label} ${how}`,
  ) as ExitError;
  error.exitCode = code;
  error.signalCode = signal;
  return { error };
}

function checkCommand(target: object): { command: string; args: string[] } {
  const allowed = ['command', 'args'];
  for (const key of Object.keys(target)) {
    if (!allowed.includes(key)) throw new TypeError(`Unknown option \`target.${key}\`; expected one of command, args`);
  }
  const { command, args } = target as { command?: unknown; args?: unknown };
  if (typeof command !== 'string' || command === '') {
    throw new TypeError(`Expected \`target.command\` to be a non-empty string, got ${describe(command)}`);
  }
  return { command, args: args === undefined ? [] : checkStrings(args, 'target.args') };
}

function checkKillSignal(value: unknown): NodeJS.Signals {
  if (typeof value !== 'string' || !Object.hasOwn(constants.signals, value)) {
    throw new TypeError(`Expected \`killSignal\` to be a signal name such as 'SIGTERM', got ${describe(value)}`);
  }
  return value as NodeJS.Signals;
}
