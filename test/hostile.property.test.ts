// Property (fast-check): whatever value is thrown — by the work or by any hook, as a throw
// or as a rejection — supervision keeps its contract: the work is restarted, a report is
// produced, no work is left with a live signal, and nothing escapes as an unhandled
// rejection or an uncaught exception. For supervise(), runGroup() and the worker machine.
import fc from 'fast-check';
import { format } from 'node:util';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createActor, toPromise } from 'xstate';
import { runGroup, supervise, workerMachine, type Logger, type WorkContext, type WorkerReport } from '../src/index.js';
import { aborted } from './helpers.js';
import { hostileValues } from './hostile-values.js';

// CI runs a fixed seed, so a verdict is reproducible; locally every run explores anew
// (fast-check prints the seed of a failure: FC_SEED=… reruns it).
const seed = process.env.FC_SEED ?? (process.env.CI ? '20261126' : undefined);
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) });

const escaped: unknown[] = [];
const onEscaped = (reason: unknown) => escaped.push(reason);
beforeEach(() => {
  process.on('unhandledRejection', onEscaped);
  process.on('uncaughtException', onEscaped);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  // As the real console does: util.format, which throws where util.inspect does.
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void format(...args));
});
afterEach(() => {
  vi.restoreAllMocks();
  process.off('unhandledRejection', onEscaped);
  process.off('uncaughtException', onEscaped);
});

/**
 * fc.anything(), plus the values that are hard to even look at, made fresh in each run by
 * `make()` (fast-check itself inspects the values it generates, and cannot look at these).
 */
const thrownValue = fc.oneof(
  fc
    .anything({ withBigInt: true, withMap: true, withSet: true, withDate: true, withNullPrototype: true, withTypedArray: true })
    .map((value) => ({ kind: 'anything', make: () => value })),
  fc.constantFrom(...hostileValues).map(([kind, make]) => ({ kind, make })),
);
const how = fc.constantFrom('throw', 'reject');
type Source = 'work' | 'onEvent' | 'logger' | 'inspect';

/** Throws `value` (or returns a promise rejecting with it). */
function raise(value: unknown, mode: 'throw' | 'reject'): Promise<never> {
  if (mode === 'throw') throw value;
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
  return Promise.reject(value);
}

interface Run {
  work: (context: WorkContext) => unknown;
  hooks: { onEvent?: () => unknown; logger?: Logger; inspect?: () => unknown };
  signals: AbortSignal[];
  controller: AbortController;
}

/**
 * The work crashes on attempts 1 and 2 (with `value` when the work is the source, else an
 * Error), and on attempt 3 asks for a stop and waits for its signal. A hook that is the
 * source throws or rejects with `value` on every call.
 */
function scenario(value: unknown, mode: 'throw' | 'reject', source: Source): Run {
  const controller = new AbortController();
  const signals: AbortSignal[] = [];
  const work = ({ attempt, signal }: WorkContext) => {
    signals.push(signal);
    if (attempt <= 2) return raise(source === 'work' ? value : new Error('crash'), mode);
    controller.abort();
    return aborted(signal);
  };
  const hook = () => raise(value, mode);
  const hooks: Run['hooks'] = {};
  if (source === 'onEvent') hooks.onEvent = hook;
  if (source === 'inspect') hooks.inspect = hook;
  if (source === 'logger') {
    const logger: Record<keyof Logger, () => Promise<never>> = { info: hook, warn: hook, error: hook };
    hooks.logger = logger;
  }
  return { work, hooks, signals, controller };
}

async function holds(run: Run, report: WorkerReport | undefined, value: unknown, source: Source): Promise<void> {
  expect(report?.outcome).toBe('stopped');
  expect(report?.attempts).toBe(3);
  if (source === 'work') expect(report?.lastError).toBe(value);
  expect(run.signals.length).toBe(3);
  expect(run.signals.every((signal) => signal.aborted)).toBe(true);
  // One turn of the event loop: a rejection nobody handles is reported by then.
  await new Promise((resolve) => setImmediate(resolve));
  expect(escaped.length).toBe(0);
}

const options = { numRuns: 40 };
const sources = fc.constantFrom<Source>('work', 'onEvent', 'logger', 'inspect');

describe('any thrown value, from the work or any hook, keeps the contract', () => {
  test('supervise()', async () => {
    await fc.assert(
      fc.asyncProperty(thrownValue, how, sources, async (thrown, mode, source) => {
        const value = thrown.make();
        const run = scenario(value, mode, source);
        const report = await supervise('w', run.work, {
          backoff: { initialMs: 0 },
          signal: run.controller.signal,
          ...(run.hooks as object),
        });
        await holds(run, report, value, source);
      }),
      options,
    );
  });

  test('runGroup()', async () => {
    await fc.assert(
      fc.asyncProperty(thrownValue, how, sources, async (thrown, mode, source) => {
        const value = thrown.make();
        const run = scenario(value, mode, source);
        const steady = new AbortController();
        const report = await runGroup(
          [
            { name: 'w', work: run.work, backoff: { initialMs: 0 } },
            { name: 'steady', work: ({ signal }) => aborted(signal).then(() => steady.abort()) },
          ],
          { installSignals: false, signal: run.controller.signal, ...(run.hooks as object) },
        );
        expect(report.workers[1]).toEqual({ name: 'steady', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false });
        await holds(run, report.workers[0], value, source);
      }),
      options,
    );
  });

  test('the worker machine (its own onEvent guard)', async () => {
    await fc.assert(
      fc.asyncProperty(thrownValue, how, fc.constantFrom<Source>('work', 'onEvent'), async (thrown, mode, source) => {
        const value = thrown.make();
        const run = scenario(value, mode, source);
        const actor = createActor(workerMachine, {
          input: { name: 'w', work: run.work, backoff: { initialMs: 0 }, onEvent: run.hooks.onEvent },
        });
        run.controller.signal.addEventListener('abort', () => actor.send({ type: 'STOP' }), { once: true });
        actor.start();
        const report = await toPromise(actor);
        await holds(run, report, value, source);
      }),
      options,
    );
  });
});
