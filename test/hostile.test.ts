// Issue #12: nothing a user's code throws or passes breaks supervision. One test per
// defect found with hostile values, hooks, options and the process (each failed on the
// main of 2026-11-26), and the module every path uses to look at a thrown value.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { runInNewContext } from 'node:vm';
import { format, inspect } from 'node:util';
import {
  FatalError,
  isGroupFailure,
  renderStatus,
  runGroup,
  startGroup,
  supervise,
  watchStatus,
  type GroupFailure,
  type Logger,
  type SupervisorEvent,
  type WorkContext,
} from '../src/index.js';
import { isAbort, isFatal, printable, summarize } from '../machines/thrown.js';
import { describe as describeValue, summarize as summarizeNode } from '../src/options.js';
import { aborted, deferred, eventRecorder } from './helpers.js';
import { errorWithThrowingGetters, hostileValues, revokedProxy, trappingProxy } from './hostile-values.js';

const escaped: unknown[] = [];
const onEscaped = (reason: unknown) => escaped.push(reason);
let stderr: string[] = [];

beforeEach(() => {
  escaped.length = 0;
  stderr = [];
  process.on('unhandledRejection', onEscaped);
  process.on('uncaughtException', onEscaped);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
  // As the real console does: util.format, which throws where util.inspect does.
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    stderr.push(format(...args));
  });
});
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  // One turn of the event loop: a rejection nobody handles is reported by then.
  await new Promise((resolve) => setImmediate(resolve));
  process.off('unhandledRejection', onEscaped);
  process.off('uncaughtException', onEscaped);
  expect(escaped.length).toBe(0);
});

/** Work that throws `value` on its first `crashes` attempts, then waits for its signal. */
function crashesWith(value: unknown, crashes: number, started?: (context: WorkContext) => void) {
  return (context: WorkContext) => {
    started?.(context);
    if (context.attempt <= crashes) throw value;
    return aborted(context.signal);
  };
}

/** A rejection with any value: what an async hook of a user may return. */
// eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
const rejectWith = (value: unknown): Promise<never> => Promise.reject(value);

/** A logger whose info and error return a promise that rejects with `value()`. */
function asyncLogger(value: () => unknown): Logger {
  const reject = (): Promise<never> => rejectWith(value());
  const methods: Record<keyof Logger, () => Promise<unknown>> = { info: reject, warn: () => Promise.resolve(), error: reject };
  return methods;
}

const reportedOnce = (label: string) => stderr.filter((line) => line.includes(`${label} threw`)).length;

describe('thrown values: looking at one never throws', () => {
  test.each(hostileValues)('%s: isFatal, isAbort, summarize, printable, describe', (_, make) => {
    const value = make();
    expect(isFatal(value)).toBe(false);
    expect(isAbort(value, AbortSignal.abort())).toBe(false);
    for (const show of [summarize, printable, describeValue, summarizeNode]) {
      const text = show(value);
      expect(typeof text).toBe('string');
      expect(text.length).toBeGreaterThan(0);
    }
    expect(summarize(value)).not.toContain('\n');
  });

  test('an Error of another realm is summarized as an Error; a FatalError is fatal, an AbortError an abort', () => {
    expect(summarize(runInNewContext('new TypeError("far away")'))).toBe('TypeError: far away');
    expect(summarizeNode(new RangeError('too big\nsecond line'))).toBe('RangeError: too big');
    expect(summarize(errorWithThrowingGetters())).toBe('Error (its message could not be read)');
    expect(isFatal(new FatalError('no'))).toBe(true);
    expect(isAbort(new DOMException('gone', 'AbortError'))).toBe(true);
    expect(isAbort(runInNewContext('const e = new Error("t"); e.name = "TimeoutError"; e'))).toBe(true);
    const signal = AbortSignal.abort('my reason');
    expect(isAbort('my reason', signal)).toBe(true);
    expect(isAbort('another', signal)).toBe(false);
    expect(summarize('text')).toBe("'text'");
    expect(summarize(Symbol('s'))).toBe('Symbol(s)');
    expect(summarize(new Map())).toBe('[object Map]');
    expect(describeValue(errorWithThrowingGetters())).toBe('Error (its message could not be read)');
  });
});

describe('hostile thrown values are crashes like any other', () => {
  test.each(hostileValues)('supervise: %s thrown by work is restarted and reported as thrown', async (_, make) => {
    const value = make();
    const controller = new AbortController();
    const signals: AbortSignal[] = [];
    const report = await supervise('w', crashesWith(value, 2, ({ attempt, signal }) => {
      signals.push(signal);
      if (attempt === 3) controller.abort();
    }), { backoff: { initialMs: 0 }, signal: controller.signal });
    expect([report.outcome, report.attempts, report.restarts]).toEqual(['stopped', 3, 2]);
    expect(report.lastError).toBe(value);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
    // The default logger logged both crashes, even where util.inspect cannot print the value.
    expect(stderr.filter((line) => line.includes('crashed')).length).toBe(2);
  });

  test('a revoked Proxy in a group: restarted (not `failed` with attempts 0 and an XState error)', async () => {
    const value = revokedProxy();
    const recorder = eventRecorder();
    const group = startGroup([{ name: 'p', work: crashesWith(value, 2), backoff: { initialMs: 0 } }], {
      installSignals: false,
      onEvent: recorder.onEvent,
    });
    await recorder.until((event) => event.type === 'worker.started' && event.attempt === 3);
    const report = await group.stop();
    expect(report.workers[0]?.outcome).toBe('stopped');
    expect(report.workers[0]?.attempts).toBe(3);
    expect(report.workers[0]?.lastError).toBe(value);
  });

  test('escalation under getters that throw: runGroup rejects with a GroupFailure (report and cause)', async () => {
    const value = errorWithThrowingGetters();
    const failure = await runGroup([{ name: 'x', work: () => { throw value; }, restart: 'never' }], {
      installSignals: false,
      logger: false,
      onGiveUp: 'escalate',
    }).then(
      () => undefined,
      (error: unknown) => error as GroupFailure,
    );
    expect(failure).toBeInstanceOf(Error);
    expect(failure?.cause).toBe(value);
    expect(failure?.message).toContain("worker 'x' failed after 1 attempt: Error (its message could not be read)");
    expect(failure?.report.workers[0]?.outcome).toBe('failed');
  });

  test('renderStatus and watchStatus show a worker whose last error has throwing getters', async () => {
    vi.useFakeTimers();
    const value = errorWithThrowingGetters();
    const group = startGroup([{ name: 'x', work: crashesWith(value, 1), backoff: { initialMs: 100 } }], {
      installSignals: false,
      logger: false,
    });
    await vi.advanceTimersByTimeAsync(10);
    expect(renderStatus(group)).toContain('Error (its message could not be read)');
    const drawn: string[] = [];
    const stream = { isTTY: true, write: (text: string) => drawn.push(text) } as unknown as NodeJS.WriteStream;
    const watch = watchStatus(group, { stream, intervalMs: 10 });
    await vi.advanceTimersByTimeAsync(200); // the backoff ends and redraws happen in between
    const stopping = group.stop();
    await vi.advanceTimersByTimeAsync(10);
    await stopping;
    watch.stop();
    // Drawn when the view changed (the countdown, the restart, the stop), not on every tick.
    expect(drawn.length).toBeGreaterThan(2);
    expect(drawn.join('')).toContain('Error (its message could not'); // cut at 80 columns
    expect(drawn.at(-1)).toContain('stopped');
  });
});

describe('hooks that throw or reject cannot break supervision', () => {
  const unprintable = errorWithThrowingGetters;
  type Hooks = { onEvent?: (event: SupervisorEvent) => unknown; logger?: Logger; inspect?: () => unknown };
  const throwing = (value: () => unknown): Array<[string, string, Hooks]> => [
    ['onEvent', 'onEvent', { onEvent: () => { throw value(); } }],
    ['a logger', 'logger', { logger: { info: () => { throw value(); }, warn: () => undefined, error: () => { throw value(); } } }],
    ['an inspection observer', 'inspect', { inspect: () => { throw value(); } }],
  ];
  const rejecting = (value: () => unknown): Array<[string, string, Hooks]> => [
    ['an async onEvent', 'onEvent', { onEvent: () => rejectWith(value()) }],
    ['an async logger', 'logger', { logger: asyncLogger(value) }],
    ['an async inspection observer', 'inspect', { inspect: () => rejectWith(value()) }],
  ];
  const cases = [...throwing(unprintable), ...rejecting(unprintable), ...rejecting(trappingProxy)];

  test.each(cases)('supervise: %s: restarts go on, reported once on stderr', async (_, label, hooks) => {
    const controller = new AbortController();
    const report = await supervise('w', crashesWith(new Error('crash'), 2, ({ attempt }) => {
      if (attempt === 3) controller.abort();
    }), { backoff: { initialMs: 0 }, signal: controller.signal, ...(hooks as object) });
    expect([report.outcome, report.attempts]).toEqual(['stopped', 3]);
    expect(reportedOnce(label)).toBe(1);
  });

  test.each(cases)('runGroup: %s: the worker is not failed, its work is not orphaned', async (_, label, hooks) => {
    const recorder = eventRecorder();
    const signals: AbortSignal[] = [];
    const controller = new AbortController();
    const work = crashesWith(new Error('crash'), 2, ({ signal, attempt }) => {
      signals.push(signal);
      if (attempt === 3) controller.abort();
    });
    const { onEvent, ...rest } = hooks;
    const report = await runGroup([{ name: 'w', work, backoff: { initialMs: 0 } }], {
      installSignals: false,
      signal: controller.signal,
      onEvent: (event) => {
        recorder.onEvent(event);
        return onEvent?.(event) as undefined;
      },
      ...(rest as object),
    });
    expect(report.workers[0]).toMatchObject({ outcome: 'stopped', attempts: 3 });
    expect(signals.every((signal) => signal.aborted)).toBe(true);
    expect(reportedOnce(label)).toBe(1);
  });
});

describe('done settles whatever happens to the actor', () => {
  test('group.actor.stop() settles done with a report of what is known, every work aborted', async () => {
    const signals: AbortSignal[] = [];
    const recorder = eventRecorder();
    const specs = Array.from({ length: 20 }, (_, i) => ({
      name: `w${i}`,
      work: crashesWith(new Error(`crash ${i}`), 1, ({ signal }) => signals.push(signal)),
      backoff: { initialMs: 0 },
    }));
    const group = startGroup([...specs, { name: 'done', work: () => 'ok' }], {
      installSignals: false,
      logger: false,
      onEvent: recorder.onEvent,
    });
    await recorder.untilCount((event) => event.type === 'worker.started' && event.attempt === 2, 20);
    await recorder.until((event) => event.type === 'worker.exited');
    group.actor.stop();
    const report = await group.done;
    expect(report.outcome).toBe('stopped');
    expect(report.workers).toHaveLength(21);
    expect(report.workers[0]).toMatchObject({ name: 'w0', outcome: 'stopped', attempts: 2, restarts: 1 });
    expect(report.workers[0]?.lastError).toEqual(new Error('crash 0'));
    expect(report.workers[19]).toMatchObject({ name: 'w19', outcome: 'stopped', attempts: 2 });
    expect(report.workers[20]).toMatchObject({ name: 'done', outcome: 'done', attempts: 1 });
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });

  test('after group.actor.stop(), status() lists every worker as the report does', async () => {
    const group = startGroup(
      [
        { name: 'a', work: ({ signal }) => aborted(signal) },
        { name: 'done', work: () => 'ok' },
      ],
      { installSignals: false, logger: false },
    );
    await vi.waitFor(() => expect(group.status()[1]?.state).toBe('done'));
    group.actor.stop();
    expect(group.status().map(({ name, state }) => [name, state])).toEqual([
      ['a', 'stopped'],
      ['done', 'done'],
    ]);
    expect((await group.done).workers.map(({ name, outcome }) => [name, outcome])).toEqual([
      ['a', 'stopped'],
      ['done', 'done'],
    ]);
  });
});

describe('done settles when the group actor itself breaks', () => {
  test('done rejects with a GroupFailure (isGroupFailure, report, cause), its workers stopped', async () => {
    const signals: AbortSignal[] = [];
    const group = startGroup(
      [{ name: 'a', work: async ({ signal }) => (signals.push(signal), aborted(signal)) }],
      { installSignals: false, logger: false },
    );
    // An event the root cannot handle (it names a branch that does not exist): an action throws.
    group.actor.send({ type: 'supervisor.removed', branch: 99, position: 0, ended: true });
    const error: unknown = await group.done.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(isGroupFailure(error)).toBe(true);
    expect((error as GroupFailure).cause).toBeInstanceOf(TypeError);
    expect((error as GroupFailure).report.workers).toEqual([expect.objectContaining({ name: 'a', outcome: 'stopped' })]);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });
});

describe('option validation', () => {
  test('a sparse specs array is a TypeError naming the hole, before anything starts', async () => {
    const work = vi.fn();
    // eslint-disable-next-line no-sparse-arrays
    const sparse = [, { name: 'a', work }] as never;
    await expect(runGroup(sparse, { installSignals: false, logger: false })).rejects.toThrow(
      new TypeError('Expected `specs[0]` to be an element (the array has a hole here), got undefined'),
    );
    expect(work).not.toHaveBeenCalled();
  });

  class Options {
    logger = false;
  }
  test.each([
    ['a Map', new Map()],
    ['a Date', new Date(0)],
    ['a class instance', new Options()],
  ])('%s is not an options object, a spec or a backoff', async (_, value) => {
    await expect(runGroup([], value as never)).rejects.toThrow(/^Expected `options` to be a plain object, got /);
    await expect(runGroup([value] as never, { installSignals: false })).rejects.toThrow(/^Expected `specs\[0\]` to be a plain worker spec object, got /);
    await expect(runGroup([{ name: 'a', work: () => undefined, backoff: value }] as never, { installSignals: false })).rejects.toThrow(
      /^Expected `specs\[0\].backoff` to be a plain object, got /,
    );
    await expect(supervise('a', () => undefined, value as never)).rejects.toThrow(TypeError);
  });

  test('Object.create(null) and objects of another realm are plain objects', async () => {
    const options = Object.assign(Object.create(null) as object, { installSignals: false, logger: false }) as never;
    expect(await runGroup([], options)).toEqual({ outcome: 'done', workers: [] });
    const far = runInNewContext('({ installSignals: false, logger: false })') as never;
    expect(await runGroup([], far)).toEqual({ outcome: 'done', workers: [] });
  });

  test('resetAfterMs and withinMs reject only values ≤ 0, as the README says: 0.5 is accepted', async () => {
    const report = await runGroup(
      [{ name: 'a', work: () => undefined, backoff: { resetAfterMs: 0.5 }, maxRestarts: { count: 1, withinMs: 0.5 } }],
      { installSignals: false, logger: false },
    );
    expect(report.workers[0]?.outcome).toBe('done');
  });

  test('a hostile options value is described in the error, and a getter that throws is named', async () => {
    await expect(runGroup([], trappingProxy() as never)).rejects.toThrow(/^Expected `options` to be a plain object, got /);
    await expect(runGroup(revokedProxy() as never)).rejects.toThrow(/^Expected `specs` to be an array of worker specs, got /);
    const getter = Object.defineProperty({}, 'logger', { enumerable: true, get: () => { throw errorWithThrowingGetters(); } });
    await expect(runGroup([], getter)).rejects.toThrow('Could not read `logger`: Error (its message could not be read)');
  });
});

describe('process signals: one listener for every group', () => {
  test('12 groups add one SIGINT and one SIGTERM listener, no warning; one SIGINT stops them all; the last removes it', async () => {
    const warnings: unknown[] = [];
    const onWarning = (warning: unknown) => warnings.push(warning);
    process.on('warning', onWarning);
    const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    try {
      const groups = Array.from({ length: 12 }, (_, i) =>
        startGroup([{ name: `g${i}`, work: ({ signal }) => aborted(signal) }], { logger: false }),
      );
      expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual([before[0]! + 1, before[1]! + 1]);
      process.emit('SIGINT', 'SIGINT');
      const reports = await Promise.all(groups.map((group) => group.done));
      expect(reports.every((report) => report.outcome === 'stopped')).toBe(true);
      await new Promise((resolve) => setImmediate(resolve)); // a warning is emitted on the next tick
      expect(warnings).toEqual([]);
      expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('the first worker.started', () => {
  test('is delivered inside startGroup(), before the caller holds the handle (documented)', async () => {
    const seen: Array<[string, boolean]> = [];
    const held: { group?: ReturnType<typeof startGroup> } = {};
    const gate = deferred();
    held.group = startGroup([{ name: 'a', work: () => gate.promise }], {
      installSignals: false,
      logger: false,
      onEvent: (event) => seen.push([event.type, held.group !== undefined]),
    });
    expect(seen).toEqual([['worker.started', false]]);
    gate.resolve();
    await held.group.done;
    expect(seen.slice(1).every(([, held]) => held)).toBe(true);
  });
});

test('util.inspect itself throws on these values (why describe() needs its fallback)', () => {
  expect(() => inspect(errorWithThrowingGetters())).toThrow('name threw');
});
