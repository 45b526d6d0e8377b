import { afterEach, describe, expect, test, vi } from 'vitest';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { runGroup, supervise, type LogFields, type Logger, type SupervisorEvent } from '../src/index.js';
import { aborted, deferred } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const waitForever = ({ signal }: { signal: AbortSignal }) => aborted(signal);

function captureStderr() {
  const lines: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  });
  return lines;
}

function memoryLogger() {
  const lines: Array<[keyof Logger, string, LogFields]> = [];
  const logger: Logger = {
    info: (fields, message) => lines.push(['info', message, fields]),
    warn: (fields, message) => lines.push(['warn', message, fields]),
    error: (fields, message) => lines.push(['error', message, fields]),
  };
  return { logger, lines };
}

describe('runGroup: signal', () => {
  test('an already aborted signal runs no work', async () => {
    const work = vi.fn();
    const report = await runGroup([{ name: 'a', work }], { signal: AbortSignal.abort(), logger: false });
    expect(work).not.toHaveBeenCalled();
    expect(report).toEqual({
      outcome: 'stopped',
      workers: [{ name: 'a', outcome: 'stopped', attempts: 0, restarts: 0, stopTimedOut: false }],
    });
  });

  test('a signal aborted while the workers start stops them all', async () => {
    const controller = new AbortController();
    const seen: AbortSignal[] = [];
    const work = ({ signal }: { signal: AbortSignal }) => {
      seen.push(signal);
      controller.abort();
      return aborted(signal);
    };
    const report = await runGroup([{ name: 'a', work }, { name: 'b', work }], { signal: controller.signal, installSignals: false, logger: false });
    expect(report.outcome).toBe('stopped');
    expect(seen.every((signal) => signal.aborted)).toBe(true);
  });

  test('removes its abort listener when it settles', async () => {
    const controller = new AbortController();
    const add = vi.spyOn(controller.signal, 'addEventListener');
    const remove = vi.spyOn(controller.signal, 'removeEventListener');
    await runGroup([{ name: 'a', work: () => undefined }], { signal: controller.signal, installSignals: false, logger: false });
    expect(add).toHaveBeenCalledTimes(1);
    expect(remove).toHaveBeenCalledWith('abort', add.mock.calls[0]?.[1]);
  });
});

describe('runGroup: installSignals', () => {
  test('installs SIGTERM and SIGINT handlers while running and removes them after', async () => {
    const before = [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
    const controller = new AbortController();
    const started = deferred();
    const promise = runGroup([{ name: 'a', work: (context) => { started.resolve(); return waitForever(context); } }], {
      signal: controller.signal,
      logger: false,
    });
    await started.promise;
    expect([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual(before.map((n) => n + 1));
    controller.abort();
    await promise;
    expect([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual(before);
  });

  test('installSignals: false installs none', async () => {
    const before = process.listenerCount('SIGTERM');
    const controller = new AbortController();
    const started = deferred();
    const promise = runGroup([{ name: 'a', work: (context) => { started.resolve(); return waitForever(context); } }], {
      signal: controller.signal,
      installSignals: false,
      logger: false,
    });
    await started.promise;
    expect(process.listenerCount('SIGTERM')).toBe(before);
    controller.abort();
    await promise;
  });
});

describe('runGroup: onEvent', () => {
  test('receives every lifecycle event in order, the first start included', async () => {
    vi.useFakeTimers();
    const events: SupervisorEvent[] = [];
    const error = new Error('once');
    const promise = runGroup(
      [{ name: 'w', work: ({ attempt }) => { if (attempt === 1) throw error; } }],
      { installSignals: false, logger: false, onEvent: (event) => events.push(event) },
    );
    await vi.runAllTimersAsync();
    await promise;
    expect(events).toEqual([
      { type: 'worker.started', name: 'w', attempt: 1 },
      { type: 'worker.crashed', name: 'w', attempt: 1, error, delayMs: 1000 },
      { type: 'worker.started', name: 'w', attempt: 2 },
      { type: 'worker.exited', name: 'w', attempt: 2 },
      { type: 'group.stopped', outcome: 'done', workers: 1 },
    ]);
  });

  test('a hook that throws does not stop supervision and is reported once', async () => {
    vi.useFakeTimers();
    const stderr = captureStderr();
    let calls = 0;
    const promise = runGroup(
      [{ name: 'w', work: ({ attempt }) => { if (attempt < 3) throw new Error('crash'); } }],
      { installSignals: false, logger: false, onEvent: () => { calls++; throw new Error('hook broke'); } },
    );
    await vi.runAllTimersAsync();
    const report = await promise;
    expect(report.workers[0]).toMatchObject({ outcome: 'done', attempts: 3 });
    expect(calls).toBe(7);
    expect(stderr.filter((line) => line.includes('onEvent threw'))).toHaveLength(1);
    expect(stderr.some((line) => line.includes('hook broke'))).toBe(true);
  });
});

describe('runGroup: logging', () => {
  test('the default logger writes what the reference logs to stderr, with the stack', async () => {
    vi.useFakeTimers();
    const stderr = captureStderr();
    const promise = runGroup(
      [{ name: 'flaky', work: ({ attempt }) => { if (attempt === 1) throw new Error('kaboom'); } }],
      { installSignals: false },
    );
    await vi.runAllTimersAsync();
    await promise;
    const text = stderr.join('');
    expect(text).toContain('xstate-supervisor: group: hosting 1 worker: flaky\n');
    expect(text).toContain('xstate-supervisor: worker flaky crashed (attempt 1); restarting in 1s Error: kaboom\n    at ');
    expect(text).toContain('xstate-supervisor: worker flaky exited cleanly; not restarting\n');
    expect(text).toContain('xstate-supervisor: group: shut down (1 worker)\n');
  });

  test('logger: false writes nothing', async () => {
    const stderr = captureStderr();
    await runGroup([{ name: 'a', work: () => undefined }], { installSignals: false, logger: false });
    expect(stderr).toEqual([]);
  });

  test('a custom logger replaces the default and gets (fields, message), the error under err', async () => {
    vi.useFakeTimers();
    const stderr = captureStderr();
    const { logger, lines } = memoryLogger();
    const error = new Error('x');
    const controller = new AbortController();
    const promise = runGroup(
      [{ name: 'w', work: (context) => { if (context.attempt === 1) throw error; return waitForever(context); } }],
      { installSignals: false, logger, signal: controller.signal },
    );
    await vi.advanceTimersByTimeAsync(1000);
    controller.abort();
    await promise;
    expect(stderr).toEqual([]);
    expect(lines).toEqual([
      ['info', 'group: hosting 1 worker: w', { workers: 1 }],
      ['error', 'worker w crashed (attempt 1); restarting in 1s', { worker: 'w', attempt: 1, delayMs: 1000, err: error }],
      ['info', 'worker w restarted (attempt 2)', { worker: 'w', attempt: 2 }],
      ['info', 'group: stopping 1 worker', { workers: 1 }],
      ['info', 'worker w stopped', { worker: 'w', attempts: 2 }],
      ['info', 'group: shut down (1 worker)', { workers: 1 }],
    ]);
  });

  test('a stop timeout is a warning naming the limit', async () => {
    vi.useFakeTimers();
    const { logger, lines } = memoryLogger();
    const controller = new AbortController();
    const promise = runGroup([{ name: 'stuck', work: () => new Promise(() => {}), stopTimeoutMs: 2000 }], {
      installSignals: false, logger, signal: controller.signal,
    });
    controller.abort();
    await vi.advanceTimersByTimeAsync(2000);
    const report = await promise;
    expect(report.workers[0]?.stopTimedOut).toBe(true);
    expect(lines).toContainEqual([
      'warn',
      'worker stuck did not settle within 2s after its stop signal; stopped without waiting further',
      { worker: 'stuck', attempts: 1, stopTimeoutMs: 2000 },
    ]);
  });

  test('a logger that throws does not stop supervision and is reported once', async () => {
    const stderr = captureStderr();
    const thrower = () => { throw new Error('logger broke'); };
    const report = await runGroup([{ name: 'a', work: () => undefined }], {
      installSignals: false,
      logger: { info: thrower, warn: thrower, error: thrower },
    });
    expect(report.outcome).toBe('done');
    expect(stderr.filter((line) => line.includes('logger threw'))).toHaveLength(1);
  });
});

describe('runGroup: inspect', () => {
  test('reaches createActor: the observer sees the group, each worker by name and the work actors', async () => {
    const events: InspectionEvent[] = [];
    await runGroup([{ name: 'a', work: () => undefined }, { name: 'b', work: () => undefined }], {
      installSignals: false,
      logger: false,
      inspect: (event) => events.push(event),
    });
    // A worker's name is its systemId; its actor id is the package's own.
    const actors = events.filter((event) => event.type === '@xstate.actor').map((event) => (event.actorRef as { systemId?: string }).systemId ?? (event.actorRef as AnyActorRef).id);
    expect(actors).toEqual(expect.arrayContaining(['a', 'b', 'work']));
    expect(events.filter((event) => event.type === '@xstate.actor' && (event.actorRef as AnyActorRef).id === 'work')).toHaveLength(2);
  });

  test('an inspection observer that throws does not stop supervision', async () => {
    const stderr = captureStderr();
    const report = await runGroup([{ name: 'a', work: () => undefined }], {
      installSignals: false, logger: false, inspect: { next: () => { throw new Error('inspector broke'); } },
    });
    expect(report.workers[0]?.outcome).toBe('done');
    expect(stderr.filter((line) => line.includes('inspect threw'))).toHaveLength(1);
  });
});

describe('supervise', () => {
  test('stops gracefully when its signal aborts, without touching process signals', async () => {
    const before = process.listenerCount('SIGINT');
    const controller = new AbortController();
    const started = deferred<AbortSignal>();
    const promise = supervise('w', ({ signal }) => { started.resolve(signal); return aborted(signal); }, {
      signal: controller.signal, logger: false,
    });
    const signal = await started.promise;
    expect(process.listenerCount('SIGINT')).toBe(before);
    controller.abort();
    await expect(promise).resolves.toEqual({ name: 'w', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false });
    expect(signal.aborted).toBe(true);
  });

  test('an already aborted signal runs no work', async () => {
    const work = vi.fn();
    await expect(supervise('w', work, { signal: AbortSignal.abort(), logger: false })).resolves.toMatchObject({ outcome: 'stopped', attempts: 0 });
    expect(work).not.toHaveBeenCalled();
  });

  test('passes onEvent and inspect through', async () => {
    const events: SupervisorEvent[] = [];
    const inspected: string[] = [];
    await supervise('w', () => undefined, {
      logger: false,
      onEvent: (event) => events.push(event),
      inspect: (event) => { if (event.type === '@xstate.snapshot') inspected.push((event.actorRef as AnyActorRef).id); },
    });
    expect(events.map((event) => event.type)).toEqual(['worker.started', 'worker.exited']);
    expect(inspected).toContain('work');
  });
});

describe('zero backoff', () => {
  test('restarts after setImmediate, not after a 1 ms-clamped setTimeout(0)', async () => {
    const timeouts = vi.spyOn(globalThis, 'setTimeout');
    const immediates = vi.spyOn(globalThis, 'setImmediate');
    const report = await supervise('w', ({ attempt }) => { if (attempt <= 5) throw new Error('again'); }, {
      backoff: { initialMs: 0, factor: 1, maxMs: 0 },
      logger: false,
    });
    expect(report).toMatchObject({ outcome: 'done', attempts: 6 });
    expect(timeouts.mock.calls.filter(([, ms]) => !ms)).toEqual([]);
    expect(immediates.mock.calls.length).toBeGreaterThanOrEqual(5);
  });
});
