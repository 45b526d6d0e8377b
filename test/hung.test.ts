import { afterEach, describe, expect, test, vi } from 'vitest';
import { createActor, SimulatedClock, type InspectionEvent } from 'xstate';
import { runGroup, startGroup, supervise, type GroupFailure } from '../src/index.js';
import type { SupervisorEvent, WorkContext } from '../machines/types.js';
import { workerMachine, type WorkerInput } from '../machines/worker.js';
import { aborted, controllableWork, deferred, untilState } from './helpers.js';

/** A worker on a simulated clock whose `now` is the clock's, recording each event with its time. */
function startWatched(input: Omit<WorkerInput, 'onEvent' | 'now'>, clock = new SimulatedClock()) {
  const events: Timed[] = [];
  const inspected: InspectionEvent[] = [];
  const actor = createActor(workerMachine, {
    clock,
    input: { ...input, now: () => clock.now(), onEvent: (event) => events.push({ ...event, at: clock.now() }) },
    inspect: (event) => inspected.push(event),
  }).start();
  return { actor, clock, events, inspected };
}

/** Work that settles when its signal aborts, rejecting with the abort reason. */
function abortable() {
  const contexts: WorkContext[] = [];
  return {
    contexts,
    work: async (context: WorkContext) => {
      contexts.push(context);
      await aborted(context.signal);
      throw context.signal.reason;
    },
  };
}

type Timed = SupervisorEvent & { at: number };
const hangs = (events: Timed[]) => events.filter((event) => event.type === 'worker.hung');

describe('hung work: heartbeatTimeoutMs', () => {
  test('an attempt without a heartbeat is hung at heartbeatTimeoutMs: TimeoutError, crash, backoff', async () => {
    const { contexts, work } = abortable();
    const { actor, clock, events } = startWatched({ name: 'w', work, heartbeatTimeoutMs: 1000 });
    clock.increment(999);
    expect(actor.getSnapshot().matches({ attempt: 'running' })).toBe(true);
    clock.increment(1);
    expect(hangs(events)).toEqual([{ type: 'worker.hung', name: 'w', attempt: 1, timeout: 'heartbeat', at: 1000 }]);
    expect(actor.getSnapshot().matches({ attempt: 'hung' })).toBe(true);
    const reason: unknown = contexts[0]?.signal.reason;
    expect(reason).toBeInstanceOf(DOMException);
    expect(reason).toMatchObject({ name: 'TimeoutError', message: 'The attempt sent no heartbeat within 1000 ms' });
    await untilState(actor, 'backoff');
    const crashed = events.find((event) => event.type === 'worker.crashed');
    expect(crashed).toMatchObject({ attempt: 1, delayMs: 1000, at: 1000 });
    expect(crashed?.type === 'worker.crashed' && crashed.error).toBe(reason);
    expect(actor.getSnapshot().context.lastError).toBe(reason);
    clock.increment(1000);
    expect(contexts).toHaveLength(2);
    // The next hang grows the backoff, as a crash does.
    clock.increment(1000);
    await untilState(actor, 'backoff');
    expect(hangs(events).map((event) => event.at)).toEqual([1000, 3000]);
    expect(actor.getSnapshot().context.delayMs).toBe(2000);
    actor.stop();
  });

  test('heartbeats keep a slow attempt alive; the hang comes heartbeatTimeoutMs after the last one', () => {
    const work = controllableWork();
    const { actor, clock, events } = startWatched({ name: 'w', work: work.work, heartbeatTimeoutMs: 1000 });
    for (let i = 0; i < 20; i++) {
      clock.increment(900);
      work.last().context.heartbeat();
    }
    expect(hangs(events)).toEqual([]);
    expect(clock.now()).toBe(18_000);
    clock.increment(999);
    expect(hangs(events)).toEqual([]);
    clock.increment(1);
    expect(hangs(events)).toMatchObject([{ timeout: 'heartbeat', at: 19_000 }]);
    actor.stop();
  });

  test('heartbeat() sends no event and starts no timer: one watchdog timer per worker, none while stopping', () => {
    const clock = new SimulatedClock();
    let pending = 0;
    const counting = {
      setTimeout: (callback: () => void, ms: number) => {
        pending += 1;
        return clock.setTimeout(() => {
          pending -= 1;
          callback();
        }, ms);
      },
      clearTimeout: (id: unknown) => {
        pending -= 1;
        clock.clearTimeout(id as number);
      },
      now: () => clock.now(),
      increment: (ms: number) => clock.increment(ms),
    } as unknown as SimulatedClock;
    const work = controllableWork();
    const { actor, inspected } = startWatched(
      // In a group (which times the stop), so that the only timer is the watchdog.
      { name: 'w', work: work.work, readyTimeoutMs: 5000, heartbeatTimeoutMs: 1000, attemptTimeoutMs: 60_000, stopDeadline: 'parent' },
      counting,
    );
    expect(pending).toBe(1);
    const before = inspected.length;
    for (let i = 0; i < 10_000; i++) work.last().context.heartbeat(i);
    expect(inspected.length).toBe(before);
    for (let i = 0; i < 30; i++) {
      counting.increment(500);
      work.last().context.heartbeat();
      if (i === 3) work.last().context.ready();
      expect(pending).toBe(1);
    }
    expect(actor.getSnapshot().matches({ attempt: 'running' })).toBe(true);
    // Stopping holds no watchdog timer.
    actor.send({ type: 'STOP' });
    expect(pending).toBe(0);
    actor.stop();
  });
});

describe('hung work: readyTimeoutMs', () => {
  test('the attempt is starting until ready(); without it, hung at readyTimeoutMs', async () => {
    const { contexts, work } = abortable();
    const { actor, clock, events } = startWatched({ name: 'w', work, readyTimeoutMs: 2000, backoff: { initialMs: 500 } });
    expect(actor.getSnapshot().value).toEqual({ attempt: 'starting' });
    clock.increment(1500);
    contexts[0]?.ready();
    expect(actor.getSnapshot().value).toEqual({ attempt: { running: 'warm' } });
    clock.increment(10_000);
    expect(hangs(events)).toEqual([]);
    actor.send({ type: 'STOP' });
    await untilState(actor, 'stopped');

    const second = startWatched({ name: 'v', work, readyTimeoutMs: 2000, backoff: { initialMs: 500 } });
    second.clock.increment(1999);
    expect(hangs(second.events)).toEqual([]);
    second.clock.increment(1);
    expect(hangs(second.events)).toEqual([{ type: 'worker.hung', name: 'v', attempt: 1, timeout: 'ready', at: 2000 }]);
    expect(contexts[1]?.signal.reason).toMatchObject({ name: 'TimeoutError', message: 'The attempt did not call ready() within 2000 ms' });
    await untilState(second.actor, 'backoff');
    expect(second.actor.getSnapshot().context.delayMs).toBe(500);
    second.clock.increment(500);
    expect(second.actor.getSnapshot().value).toEqual({ attempt: 'starting' });
    second.clock.increment(2000);
    expect(hangs(second.events).map((event) => event.at)).toEqual([2000, 4500]);
    second.actor.stop();
  });

  test('a late ready() of an abandoned attempt does not make the next attempt ready', async () => {
    const work = controllableWork();
    const { actor, clock } = startWatched({
      name: 'w', work: work.work, readyTimeoutMs: 100, stopTimeoutMs: 10, backoff: { initialMs: 10 },
    });
    clock.increment(100);
    clock.increment(10); // abandoned: the work ignored its abort
    await untilState(actor, 'backoff');
    clock.increment(10);
    expect(work.attempts).toHaveLength(2);
    work.attempts[0]?.context.ready();
    expect(actor.getSnapshot().value).toEqual({ attempt: 'starting' });
    work.last().context.ready();
    expect(actor.getSnapshot().value).toEqual({ attempt: { running: 'warm' } });
    actor.stop();
  });
});

describe('hung work: attemptTimeoutMs', () => {
  test('an attempt that heartbeats is still hung at attemptTimeoutMs', async () => {
    const { contexts, work } = abortable();
    const { actor, clock, events } = startWatched({ name: 'w', work, heartbeatTimeoutMs: 1000, attemptTimeoutMs: 3000 });
    for (let i = 0; i < 5; i++) {
      clock.increment(500);
      contexts[0]?.heartbeat();
    }
    expect(hangs(events)).toEqual([]);
    clock.increment(500);
    expect(hangs(events)).toEqual([{ type: 'worker.hung', name: 'w', attempt: 1, timeout: 'attempt', at: 3000 }]);
    expect(contexts[0]?.signal.reason).toMatchObject({ name: 'TimeoutError', message: 'The attempt ran longer than 3000 ms' });
    await untilState(actor, 'backoff');
    expect(events.find((event) => event.type === 'worker.crashed')).toMatchObject({ delayMs: 1000, at: 3000 });
    actor.stop();
  });

  test('deadlines count from when the attempt starts, not from when the actor was created', () => {
    const clock = new SimulatedClock();
    const events: Timed[] = [];
    const actor = createActor(workerMachine, {
      clock,
      input: {
        name: 'w',
        work: ({ signal }) => aborted(signal),
        attemptTimeoutMs: 300,
        readyTimeoutMs: 200,
        now: () => clock.now(),
        onEvent: (event) => events.push({ ...event, at: clock.now() }),
      },
    });
    clock.increment(5000); // created long before it starts
    actor.start();
    clock.increment(199);
    expect(hangs(events)).toEqual([]);
    clock.increment(1);
    expect(hangs(events)).toEqual([{ type: 'worker.hung', name: 'w', attempt: 1, timeout: 'ready', at: 5200 }]);
    actor.stop();
  });
});

describe('hung work: progress and abandoned attempts', () => {
  test('the next attempt gets the last progress an earlier attempt reported', async () => {
    const work = controllableWork();
    const { actor, clock } = startWatched({ name: 'w', work: work.work, heartbeatTimeoutMs: 100, backoff: { initialMs: 10 } });
    expect(work.last().context.progress).toBeUndefined();
    work.last().context.heartbeat({ offset: 41 });
    work.last().context.heartbeat({ offset: 42 });
    work.last().settle.reject(new Error('crash'));
    await untilState(actor, 'backoff');
    clock.increment(10);
    expect(work.last().context.progress).toEqual({ offset: 42 });
    // A heartbeat without a value keeps the progress; a hang hands it on too.
    work.last().context.heartbeat();
    clock.increment(100);
    work.last().settle.resolve();
    await untilState(actor, 'backoff');
    clock.increment(20);
    expect(work.attempts).toHaveLength(3);
    expect(work.last().context.progress).toEqual({ offset: 42 });
    actor.stop();
  });

  test('work that ignores the abort is abandoned at stopTimeoutMs: restarted anyway, counted', async () => {
    const work = controllableWork();
    const { actor, clock, events } = startWatched({
      name: 'w', work: work.work, heartbeatTimeoutMs: 1000, stopTimeoutMs: 300, backoff: { initialMs: 100 },
    });
    clock.increment(1000);
    expect(actor.getSnapshot().matches({ attempt: 'hung' })).toBe(true);
    clock.increment(299);
    expect(actor.getSnapshot().matches({ attempt: 'hung' })).toBe(true);
    clock.increment(1);
    expect(actor.getSnapshot().value).toBe('backoff');
    expect(events.filter((event) => event.type === 'worker.abandoned')).toMatchObject([
      { type: 'worker.abandoned', name: 'w', attempt: 1, stopTimeoutMs: 300, at: 1300 },
    ]);
    // abandoned, then the hang's crash
    expect(events.map((event) => event.type).slice(-2)).toEqual(['worker.abandoned', 'worker.crashed']);
    expect(events.filter((event) => event.type === 'worker.crashed')).toMatchObject([{ at: 1300, delayMs: 100 }]);
    clock.increment(100);
    expect(work.attempts).toHaveLength(2);
    // The abandoned attempt's late heartbeat does not keep the new one alive.
    clock.increment(900);
    work.attempts[0]?.context.heartbeat('stale');
    clock.increment(100);
    expect(hangs(events).map((event) => event.at)).toEqual([1000, 2400]);
    expect(work.last().context.progress).toBeUndefined();
    work.last().settle.resolve();
    await untilState(actor, 'backoff');
    actor.send({ type: 'STOP' });
    expect(actor.getSnapshot().output).toMatchObject({ outcome: 'stopped', attempts: 2, abandoned: 1 });
  });
});

describe('hung work: stopping', () => {
  test('a stop during a long attempt never reports a hang, however long the work takes to settle', async () => {
    const work = controllableWork();
    const { actor, clock, events } = startWatched({
      name: 'w', work: work.work, readyTimeoutMs: 1000, heartbeatTimeoutMs: 1000, attemptTimeoutMs: 1500, stopTimeoutMs: 5000,
    });
    clock.increment(900);
    actor.send({ type: 'STOP' });
    clock.increment(4000);
    expect(actor.getSnapshot().matches({ attempt: 'stopping' })).toBe(true);
    work.last().settle.resolve();
    await untilState(actor, 'stopped');
    expect(hangs(events)).toEqual([]);
    expect(actor.getSnapshot().output).toEqual({ name: 'w', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false });
  });

  test('a stop while waiting for hung work wins: the worker stops and does not restart', async () => {
    const work = controllableWork();
    const { actor, clock, events } = startWatched({ name: 'w', work: work.work, heartbeatTimeoutMs: 100, stopTimeoutMs: 1000 });
    clock.increment(100);
    expect(actor.getSnapshot().matches({ attempt: 'hung' })).toBe(true);
    actor.send({ type: 'STOP' });
    expect(actor.getSnapshot().matches({ attempt: 'stopping' })).toBe(true);
    work.last().settle.reject(work.last().context.signal.reason);
    await untilState(actor, 'stopped');
    expect(work.attempts).toHaveLength(1);
    expect(events.map((event) => event.type)).toEqual(['worker.started', 'worker.hung', 'worker.stopped']);
    expect(actor.getSnapshot().output).toMatchObject({ outcome: 'stopped', lastError: { name: 'TimeoutError' } });
  });
});

describe('hung work: giving up', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test("restart: 'never' ends a hung worker failed with the TimeoutError", async () => {
    const { work } = abortable();
    const { actor, clock, events } = startWatched({ name: 'w', work, attemptTimeoutMs: 50, restart: 'never' });
    clock.increment(50);
    await untilState(actor, 'failed');
    expect(actor.getSnapshot().output).toMatchObject({ outcome: 'failed', attempts: 1, lastError: { name: 'TimeoutError' } });
    expect(events.map((event) => event.type)).toEqual(['worker.started', 'worker.hung', 'worker.failed']);
  });

  test('hangs count toward maxRestarts and escalate under onGiveUp: escalate', async () => {
    vi.useFakeTimers();
    const { work } = abortable();
    const steady = deferred();
    const events: SupervisorEvent[] = [];
    const done = runGroup(
      [
        { name: 'stuck', work, heartbeatTimeoutMs: 100, maxRestarts: { count: 2, withinMs: 60_000 }, backoff: { initialMs: 10 } },
        { name: 'steady', work: ({ signal }) => aborted(signal).then(() => steady.resolve()) },
      ],
      { logger: false, installSignals: false, onGiveUp: 'escalate', onEvent: (event) => events.push(event) },
    );
    const failure = done.then(
      () => undefined,
      (error: unknown) => error as GroupFailure,
    );
    await vi.advanceTimersByTimeAsync(1000);
    const error = await failure;
    expect(error?.message).toMatch(/worker 'stuck' failed after 3 attempts: TimeoutError: The attempt sent no heartbeat within 100 ms/);
    expect(error?.report.workers.map((report) => report.outcome)).toEqual(['failed', 'stopped']);
    expect(events.filter((event) => event.type === 'worker.hung')).toHaveLength(3);
    await steady.promise;
  });

  test('status(): ready, lastHeartbeatAt, and the hung state', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const work = controllableWork();
    const group = startGroup(
      [{ name: 'w', work: work.work, readyTimeoutMs: 500, heartbeatTimeoutMs: 200, stopTimeoutMs: 1000 }],
      { logger: false, installSignals: false },
    );
    expect(group.status()).toEqual([{ name: 'w', state: 'running', attempts: 1, restarts: 0, ready: false }]);
    await vi.advanceTimersByTimeAsync(100);
    work.last().context.heartbeat();
    work.last().context.ready();
    expect(group.status()).toEqual([
      { name: 'w', state: 'running', attempts: 1, restarts: 0, ready: true, lastHeartbeatAt: 1_000_100 },
    ]);
    await vi.advanceTimersByTimeAsync(200);
    expect(group.status()[0]).toMatchObject({ state: 'hung', ready: false, lastHeartbeatAt: 1_000_100 });
    expect(group.status()[0]?.lastError).toMatchObject({ name: 'TimeoutError' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(group.status()[0]).toMatchObject({ state: 'backoff', abandoned: 1 });
    const report = group.stop();
    await vi.advanceTimersByTimeAsync(0);
    expect(await report).toMatchObject({ workers: [{ outcome: 'stopped', abandoned: 1 }] });
  });
});

describe('hung work: options', () => {
  test.each([
    [{ heartbeatTimeoutMs: 0 }, RangeError, '`heartbeatTimeoutMs` to be a finite number of milliseconds above 0'],
    [{ readyTimeoutMs: '5s' }, TypeError, "`readyTimeoutMs` to be a number of milliseconds, got '5s'"],
    [{ attemptTimeoutMs: Infinity }, RangeError, '`attemptTimeoutMs` to be a finite number'],
  ])('rejects %o before anything starts', async (options, ErrorType, message) => {
    const work = vi.fn();
    await expect(supervise('w', work, { ...options, logger: false } as never)).rejects.toThrow(ErrorType);
    await expect(supervise('w', work, { ...options, logger: false } as never)).rejects.toThrow(message);
    expect(() => startGroup([{ name: 'w', work, ...options } as never])).toThrow(`specs[0].${message.slice(1)}`);
    expect(work).not.toHaveBeenCalled();
  });
});

describe('hung work × a group stopped from outside', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test('group.actor.stop(): the report still counts the abandoned attempts, as status() did', async () => {
    vi.useFakeTimers();
    const work = controllableWork();
    const group = startGroup(
      [{ name: 'w', work: work.work, heartbeatTimeoutMs: 100, stopTimeoutMs: 100, backoff: { initialMs: 10_000 } }],
      { logger: false, installSignals: false },
    );
    await vi.advanceTimersByTimeAsync(200); // hung at 100, abandoned at 200
    expect(group.status()[0]).toMatchObject({ state: 'backoff', abandoned: 1 });
    group.actor.stop();
    expect((await group.done).workers).toEqual([expect.objectContaining({ name: 'w', outcome: 'stopped', abandoned: 1 })]);
  });
});

describe('hung work: no deadline left', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test('readyTimeoutMs alone: once ready() came, the watchdog holds no timer (Node runs an Infinity delay after 1 ms)', async () => {
    vi.useFakeTimers();
    const watchdogs: unknown[] = [];
    const work = controllableWork();
    const group = startGroup([{ name: 'w', work: work.work, readyTimeoutMs: 500 }], {
      logger: false,
      installSignals: false,
      inspect: (event) => {
        if (event.type === '@xstate.event' && event.event.type === 'supervisor.watchdog') watchdogs.push(event.event);
      },
    });
    work.last().context.ready();
    expect(group.status()[0]).toMatchObject({ state: 'running', ready: true });
    await vi.advanceTimersByTimeAsync(1000);
    expect(watchdogs).toEqual([]);
    const report = group.stop();
    expect(work.last().context.signal.aborted).toBe(true);
    work.last().settle.resolve();
    expect((await report).workers).toEqual([expect.objectContaining({ outcome: 'stopped', stopTimedOut: false })]);
  });
});
