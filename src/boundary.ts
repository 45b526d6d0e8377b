/**
 * What crosses the boundary of a thread or a child process that runs one attempt
 * (`inThread`, `inChildProcess`): the messages both sides exchange, how a thrown value
 * travels, and the side inside, which runs the module's default export. Imported by the
 * bootstraps, so it imports nothing heavy.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { WorkContext } from '../machines/types.js';
import { describe } from './options.js';

/** What the parent sends in: the attempt, then (at most once) the abort. */
export type InboundMessage =
  | { type: 'supervisor.start'; module: string; name: string; attempt: number; progress: unknown }
  | { type: 'supervisor.abort'; reason: unknown };

/** What the work inside sends out. `reason`: it threw its own signal's abort reason. */
export type OutboundMessage =
  | { type: 'supervisor.heartbeat'; progress: unknown }
  | { type: 'supervisor.ready' }
  | { type: 'supervisor.returned'; value: unknown }
  | { type: 'supervisor.threw'; error: unknown; reason: boolean };

/**
 * The parent's context as it is until the hung-work options land in `WorkContext` (and
 * after: then the optional members are simply there).
 */
export type ParentContext = WorkContext & Partial<{ heartbeat(progress?: unknown): void; ready(): void; progress: unknown }>;

/** The context the module's default export gets inside. */
export interface InsideContext {
  signal: AbortSignal;
  name: string;
  attempt: number;
  heartbeat(progress?: unknown): void;
  ready(): void;
  progress: unknown;
}

/**
 * An Error as plain data. Structured clone keeps an Error's message and stack but turns a
 * custom `name` into 'Error' and drops own properties such as `code`, so errors travel as
 * this record instead (other thrown values are structured-cloned as they are).
 */
interface ErrorRecord {
  'supervisor.error': true;
  name: string;
  message: string;
  stack: string | undefined;
  cause?: unknown;
  fatal: boolean;
  domException: boolean;
  properties: Record<string, unknown>;
}

const fatalBrand = Symbol.for('xstate-supervisor.FatalError');

/** Turns an Error (and its chain of causes) into data that survives a structured clone. */
export function toTransferable(value: unknown, depth = 0): unknown {
  if (!(value instanceof Error) || depth > 8) return value;
  const properties: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (key === 'cause' || key === 'name' || key === 'message' || key === 'stack') continue;
    const property = (value as unknown as Record<string, unknown>)[key];
    // Keep only what a clone takes as it is: a property that is a function or a socket stays behind.
    try {
      structuredClone(property);
      properties[key] = property;
    } catch {
      // Not cloneable: left out.
    }
  }
  const record: ErrorRecord = {
    'supervisor.error': true,
    name: value.name,
    message: value.message,
    stack: value.stack,
    fatal: (value as unknown as Record<symbol, unknown>)[fatalBrand] === true,
    domException: value instanceof DOMException,
    properties,
  };
  if ('cause' in value) record.cause = toTransferable(value.cause, depth + 1);
  return record;
}

function isErrorRecord(value: unknown): value is ErrorRecord {
  return typeof value === 'object' && value !== null && (value as Partial<ErrorRecord>)['supervisor.error'] === true;
}

/** Rebuilds an Error sent by {@link toTransferable}: same name, message, stack, cause and own properties. */
export function fromTransferable(value: unknown): unknown {
  if (!isErrorRecord(value)) return value;
  const error = value.domException
    ? new DOMException(value.message, value.name)
    : new Error(value.message, 'cause' in value ? { cause: fromTransferable(value.cause) } : undefined);
  if (!value.domException) {
    Object.defineProperty(error, 'name', { value: value.name, writable: true, configurable: true, enumerable: false });
  }
  Object.defineProperty(error, 'stack', { value: value.stack, writable: true, configurable: true, enumerable: false });
  // A FatalError thrown inside stays fatal outside: the worker recognises it by this brand.
  if (value.fatal) Object.defineProperty(error, fatalBrand, { value: true });
  Object.assign(error, value.properties);
  return error;
}

/**
 * The module to load, as a `file:` URL string. A relative path would resolve against
 * whatever directory the process was started in, so it is refused.
 */
export function moduleHref(value: unknown, path: string): string {
  if (value instanceof URL) {
    if (value.protocol === 'file:') return value.href;
  } else if (typeof value === 'string') {
    if (value.startsWith('file:')) return new URL(value).href;
    if (isAbsolute(value)) return pathToFileURL(value).href;
  }
  throw new TypeError(`Expected \`${path}\` to be a file: URL or an absolute path, got ${describe(value)}`);
}

const typeScript = /\.[cm]?tsx?$/;

/** Whether loading this file needs a TypeScript loader (tsx). */
export function isTypeScript(href: string): boolean {
  return typeScript.test(new URL(href).pathname);
}

/** Whether the process was started with tsx's loader (`node --import tsx`, or the `tsx` command). */
export function parentHasTsx(execArgv: readonly string[] = process.execArgv): boolean {
  return execArgv.some((arg) => arg === 'tsx' || /[\\/]tsx[\\/]/.test(arg));
}

/**
 * Where tsx is, resolved from `from` (the user's module) or else from this package; the
 * loader entry (`--import`) and its register APIs (for a thread, where Node 20 does not
 * apply the parent's `--import` hooks). Undefined when tsx is not installed.
 */
export function findTsx(from: string): { loader: string; esmApi: string; cjsApi: string } | undefined {
  for (const base of [from, import.meta.url]) {
    try {
      const manifest = createRequire(base).resolve('tsx/package.json');
      // Its ESM entries (the `import` condition), which `require.resolve` would not pick.
      const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, unknown> };
      const entry = (subpath: string): string => {
        let target = exports[subpath];
        while (typeof target === 'object' && target !== null) {
          const conditions = target as Record<string, unknown>;
          target = conditions.import ?? conditions.default;
        }
        if (typeof target !== 'string') throw new Error(`tsx exports no ${subpath}`);
        return new URL(target, pathToFileURL(manifest)).href;
      };
      return { loader: entry('.'), esmApi: entry('./esm/api'), cjsApi: entry('./cjs/api') };
    } catch {
      // Not resolvable from here: try the next place.
    }
  }
  return undefined;
}

/** The bootstrap file next to this one: `.ts` when running from source (tsx, vitest), `.js` when built. */
export function siblingFile(name: string): URL {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${extension}`, import.meta.url);
}

/**
 * The inside of the boundary: loads the module, runs its default export once with a
 * context whose calls become messages, and reports how it settled. `onAbort` is called
 * by the bootstrap when the parent's abort arrives.
 */
export async function runInside(
  start: Extract<InboundMessage, { type: 'supervisor.start' }>,
  send: (message: OutboundMessage) => void,
  controller: AbortController,
): Promise<OutboundMessage> {
  let work: unknown;
  try {
    work = ((await import(start.module)) as { default?: unknown }).default;
  } catch (error) {
    const reason = error instanceof Error ? error.message : describe(error);
    return threw(new Error(`Cannot load the work module ${start.module}: ${reason}`, { cause: error }), false);
  }
  if (typeof work !== 'function') {
    return threw(new TypeError(`Expected the default export of ${start.module} to be a function (a Work), got ${describe(work)}`), false);
  }
  const context: InsideContext = {
    signal: controller.signal,
    name: start.name,
    attempt: start.attempt,
    heartbeat: (progress?: unknown) => send({ type: 'supervisor.heartbeat', progress }),
    ready: () => send({ type: 'supervisor.ready' }),
    progress: start.progress,
  };
  try {
    return { type: 'supervisor.returned', value: await (work as (context: InsideContext) => unknown)(context) };
  } catch (error) {
    return threw(error, controller.signal.aborted && error === controller.signal.reason);
  }
}

function threw(error: unknown, reason: boolean): OutboundMessage {
  return { type: 'supervisor.threw', error: toTransferable(error), reason };
}

/** The abort reason to send in: DOMExceptions do not survive a structured clone in Node 20. */
export function abortMessage(reason: unknown): InboundMessage {
  return { type: 'supervisor.abort', reason: toTransferable(reason) };
}

/** How the parent's side turns a message from inside into the context's calls; true when it settles the attempt. */
export function handleOutbound(
  message: OutboundMessage,
  context: ParentContext,
  settle: (outcome: { value: unknown } | { error: unknown }) => void,
): void {
  switch (message.type) {
    case 'supervisor.heartbeat':
      context.heartbeat?.(message.progress);
      return;
    case 'supervisor.ready':
      context.ready?.();
      return;
    case 'supervisor.returned':
      settle({ value: message.value });
      return;
    case 'supervisor.threw':
      // The work threw its own abort reason: that is the parent's signal's reason, which is
      // how the worker knows an aborted attempt from a crash.
      settle({ error: message.reason ? context.signal.reason : fromTransferable(message.error) });
      return;
  }
}
