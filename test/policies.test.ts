// Supervision policies beyond the restart modes: backoff reset, restart limits, fatal
// errors. All on a simulated clock.
import { describe, expect, test, vi } from 'vitest';
import { createActor } from 'xstate';
import { workerMachine } from '../machines/worker.js';
import { FatalError, isFatal } from '../machines/fatal.js';
import { runGroup, type GroupFailure, type Work, type WorkerSpec } from '../src/index.js';
import { aborted, controllableWork, eventRecorder, startWorker, untilState } from './helpers.js';

const warm = { attempt: { running: 'warm' } } as const;
const warmingUp = { attempt: { running: 'warmingUp' } } as const;

describe('backoff.resetAfterMs', () => {
  const backoff = { initialMs: 100, factor: 2, maxMs: 10_000, resetAfterMs: 5000 };

  test('an attempt that ran resetAfterMs restarts after initialMs; a shorter one grows the delay', async () => {
    const work = controllableWork();
    const { actor, clock, events } = startWorker({ name: 'w', work: work.work, backoff });
    const crashAfter = async (ms: number) => {
      await untilState(actor, warmingUp);
      clock.increment(ms);
      work.last().settle.reject(new Error(`after ${ms}`));
      await untilState(actor, 'backoff');
      const delay = actor.getSnapshot().context.delayMs;
      clock.increment(delay);
      return delay;
    };
    expect(await crashAfter(10)).toBe(100);
    expect(await crashAfter(10)).toBe(200);
    expect(await crashAfter(4999)).toBe(400);
    // Ran exactly resetAfterMs: counts as a first crash again.
    expect(await crashAfter(5000)).toBe(100);
    expect(await crashAfter(10)).toBe(200);
    expect(events.filter((e) => e.type === 'worker.crashed').map((e) => e.type === 'worker.crashed' && e.delayMs))
      .toEqual([100, 200, 400, 100, 200]);
    actor.stop();
  });

  test('the warm-up is a state: warmingUp until resetAfterMs, then warm', () => {
    const work = controllableWork();
    const { actor, clock } = startWorker({ name: 'w', work: work.work, backoff });
    expect(actor.getSnapshot().matches(warmingUp)).toBe(true);
    clock.increment(4999);
    expect(actor.getSnapshot().matches(warmingUp)).toBe(true);
    clock.increment(1);
    expect(actor.getSnapshot().matches(warm)).toBe(true);
    actor.stop();
  });

  test('without resetAfterMs no timer runs while the work runs, and the delay keeps growing', async () => {
    const work = controllableWork();
    const { actor, clock } = startWorker({ name: 'w', work: work.work, backoff: { initialMs: 100, maxMs: 10_000 } });
    expect(actor.getSnapshot().matches(warm)).toBe(true);
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      await untilState(actor, warm);
      clock.increment(60_000);
      work.last().settle.reject(new Error('late crash'));
      await untilState(actor, 'backoff');
      delays.push(actor.getSnapshot().context.delayMs);
      clock.increment(actor.getSnapshot().context.delayMs);
    }
    expect(delays).toEqual([100, 200, 400]);
    actor.stop();
  });
});

describe('maxRestarts', () => {
  test('count: 3 — a worker that always crashes runs 4 attempts, then fails with its last error', async () => {
    const crash = new Error('always');
    const { actor, clock, events } = startWorker({
      name: 'w',
      work: () => Promise.reject(crash),
      backoff: { initialMs: 10 },
      maxRestarts: { count: 3, withinMs: 60_000 },
    });
    for (let i = 0; i < 3; i++) {
      await untilState(actor, 'backoff');
      clock.increment(actor.getSnapshot().context.delayMs);
    }
    await untilState(actor, 'failed');
    expect(actor.getSnapshot().output).toEqual({
      name: 'w', outcome: 'failed', attempts: 4, restarts: 3, lastError: crash, stopTimedOut: false,
    });
    expect(events.filter((e) => e.type === 'worker.crashed')).toHaveLength(3);
    expect(events.at(-1)).toEqual({ type: 'worker.failed', name: 'w', attempts: 4, error: crash });
  });

  test('the window slides: restarts older than withinMs no longer count', async () => {
    const work = controllableWork();
    const { actor, clock } = startWorker({
      name: 'w',
      work: work.work,
      backoff: { initialMs: 10, factor: 1 },
      maxRestarts: { count: 2, withinMs: 1000 },
    });
    const crash = async () => {
      work.last().settle.reject(new Error('crash'));
      await untilState(actor, 'backoff');
      clock.increment(10);
      await untilState(actor, warm);
    };
    await crash(); // restart 1 at t=0
    clock.increment(600);
    await crash(); // restart 2 at t=610
    clock.increment(400);
    // t=1020: restart 1 left the window; one more restart is allowed.
    expect(actor.getSnapshot().context.recentRestarts).toBe(1);
    await crash(); // restart at t=1020: two in the window again
    expect(actor.getSnapshot().context.recentRestarts).toBe(2);
    work.last().settle.reject(new Error('one too many'));
    await untilState(actor, 'failed');
    expect(actor.getSnapshot().output).toMatchObject({ outcome: 'failed', attempts: 4 });
  });

  test('count: 0 never restarts', async () => {
    const { actor } = startWorker({
      name: 'w', work: () => Promise.reject(new Error('once')), maxRestarts: { count: 0, withinMs: 1000 },
    });
    await untilState(actor, 'failed');
    expect(actor.getSnapshot().output).toMatchObject({ outcome: 'failed', attempts: 1 });
  });

  test("restarts after a clean return count too (restart: 'always')", async () => {
    const { actor, clock, events } = startWorker({
      name: 'w',
      work: () => undefined,
      restart: 'always',
      backoff: { initialMs: 10 },
      maxRestarts: { count: 1, withinMs: 1000 },
    });
    await untilState(actor, 'backoff');
    clock.increment(10);
    await untilState(actor, 'failed');
    expect(actor.getSnapshot().output).toEqual({
      name: 'w', outcome: 'failed', attempts: 2, restarts: 1, stopTimedOut: false,
    });
    expect(events.at(-1)).toEqual({ type: 'worker.failed', name: 'w', attempts: 2, error: undefined });
  });

  test('leaves no timer behind once final (fake timers)', async () => {
    vi.useFakeTimers();
    try {
      const actor = createActor(workerMachine, {
        input: { name: 'w', work: () => Promise.reject(new Error('x')), backoff: { initialMs: 10 }, maxRestarts: { count: 1, withinMs: 1000 } },
      }).start();
      await vi.advanceTimersByTimeAsync(10);
      expect(actor.getSnapshot().value).toBe('failed');
      expect(vi.getTimerCount()).toBe(0); // the window's pending end was cancelled
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('FatalError', () => {
  test.each(['on-failure', 'always'] as const)('is never restarted (restart: %s): the worker fails with it', async (restart) => {
    const fatal = new FatalError('bad config');
    const { actor, events } = startWorker({ name: 'w', work: () => Promise.reject(fatal), restart });
    await untilState(actor, 'failed');
    expect(actor.getSnapshot().output).toEqual({
      name: 'w', outcome: 'failed', attempts: 1, restarts: 0, lastError: fatal, stopTimedOut: false,
    });
    expect(events.map((e) => e.type)).toEqual(['worker.started', 'worker.failed']);
  });

  test('a thrown FatalError after crashes ends the worker too', async () => {
    let attempt = 0;
    const { actor, clock } = startWorker({
      name: 'w',
      work: () => {
        attempt += 1;
        throw attempt < 3 ? new Error('transient') : new FatalError('give up', { cause: 'gone' });
      },
      backoff: { initialMs: 10 },
    });
    for (let i = 0; i < 2; i++) {
      await untilState(actor, 'backoff');
      clock.increment(actor.getSnapshot().context.delayMs);
    }
    await untilState(actor, 'failed');
    const report = actor.getSnapshot().output;
    expect(report).toMatchObject({ outcome: 'failed', attempts: 3 });
    expect(report?.lastError).toBeInstanceOf(FatalError);
    expect((report?.lastError as Error).cause).toBe('gone');
  });

  test('is recognised across copies of the package, by its registered brand', () => {
    const fromAnotherCopy = Object.assign(new Error('x'), { [Symbol.for('xstate-supervisor.FatalError')]: true });
    expect(isFatal(fromAnotherCopy)).toBe(true);
    expect(isFatal(new FatalError('x'))).toBe(true);
    expect(new FatalError('x').name).toBe('FatalError');
    for (const value of [new Error('x'), 'FatalError', undefined, null, { name: 'FatalError' }]) expect(isFatal(value)).toBe(false);
  });
});

describe('runGroup onGiveUp', () => {
  const steady: Work = ({ signal }) => aborted(signal);
  const fatal: Work = () => { throw new FatalError('misconfigured'); };

  test("'isolate' (default): the failed worker is reported, its siblings keep running", async () => {
    const controller = new AbortController();
    const recorder = eventRecorder();
    const promise = runGroup(
      [{ name: 'broken', work: fatal }, { name: 'steady', work: steady }],
      { signal: controller.signal, installSignals: false, logger: false, onEvent: recorder.onEvent },
    );
    await recorder.until((event) => event.type === 'worker.failed');
    expect(recorder.events.some((event) => event.type === 'group.stopping')).toBe(false);
    controller.abort();
    const report = await promise;
    expect(report.outcome).toBe('stopped');
    expect(report.workers.map((worker) => worker.outcome)).toEqual(['failed', 'stopped']);
  });

  test("'escalate': every other worker is stopped gracefully, then runGroup rejects with the report", async () => {
    const cleanedUp: string[] = [];
    const graceful = (name: string): Work => async ({ signal }) => {
      await aborted(signal);
      cleanedUp.push(name);
    };
    const failure = runGroup(
      [
        { name: 'a', work: graceful('a') },
        { name: 'limited', work: () => Promise.reject(new Error('down')), backoff: { initialMs: 0 }, maxRestarts: { count: 2, withinMs: 60_000 } },
        { name: 'b', work: graceful('b') },
      ],
      { installSignals: false, logger: false, onGiveUp: 'escalate' },
    );
    const error = (await failure.then(() => expect.unreachable(), (error: unknown) => error)) as GroupFailure;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe("worker 'limited' failed after 3 attempts: Error: down; the group was stopped (onGiveUp: 'escalate')");
    expect((error.cause as Error).message).toBe('down');
    expect(error.report.outcome).toBe('stopped');
    expect(error.report.workers.map((worker) => [worker.name, worker.outcome])).toEqual([
      ['a', 'stopped'],
      ['limited', 'failed'],
      ['b', 'stopped'],
    ]);
    expect(cleanedUp.sort()).toEqual(['a', 'b']);
  });

  test("'escalate' reaches every branch of a large group", async () => {
    const specs: WorkerSpec[] = Array.from({ length: 40 }, (_, index) => ({ name: `w${index}`, work: steady }));
    specs[33] = { name: 'w33', work: fatal };
    const error = (await runGroup(specs, { installSignals: false, logger: false, onGiveUp: 'escalate' }).catch((e: unknown) => e)) as GroupFailure;
    expect(error.report.workers.filter((worker) => worker.outcome === 'stopped')).toHaveLength(39);
    expect(error.report.workers[33]).toMatchObject({ name: 'w33', outcome: 'failed' });
  });

  test("'escalate' resolves as usual when no worker fails", async () => {
    const report = await runGroup([{ name: 'a', work: () => undefined }], { installSignals: false, logger: false, onGiveUp: 'escalate' });
    expect(report).toEqual({ outcome: 'done', workers: [{ name: 'a', outcome: 'done', attempts: 1, restarts: 0, stopTimedOut: false }] });
  });
});
