// The implementations measured side by side. Each hosts a group of workers with the same
// semantics (restart a crashed work after a capped exponential backoff; a clean return
// ends the worker; stop = abort every work's signal and wait until every work settled).
import { Duration, Effect, Fiber, Schedule } from 'effect';
import pRetry from 'p-retry';
import { assign, createActor, fromPromise, setup } from 'xstate';
import { nodeClock } from '../src/clock.js';
import { groupMachine, runGroup, workerMachine, type GroupReport, type Work, type WorkerReport } from '../src/index.js';
import { installIndexedScheduler } from '../machines/scheduler.js';

/** What the hand-written loops hand the work beyond signal, name and attempt (the scenarios use none of it). */
const noPulse = { heartbeat: () => undefined, ready: () => undefined, progress: undefined };

export interface BenchWorker {
  name: string;
  work: Work;
}
export interface Backoff {
  initialMs: number;
  factor: number;
  maxMs: number;
  /** An attempt that ran this long resets the delay (the package holds a timer for it meanwhile). */
  resetAfterMs?: number;
}
export interface Running {
  /** Aborts every work's signal and resolves once every work has settled. */
  stop(): Promise<void>;
}
export type Impl = (workers: readonly BenchWorker[], backoff: Backoff) => Running;

/** A zero delay yields (setImmediate); Node clamps setTimeout(0) to 1 ms. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    const handle = ms > 0 ? setTimeout(done, ms) : setImmediate(done);
    const onAbort = () => {
      if (ms > 0) clearTimeout(handle as NodeJS.Timeout);
      else clearImmediate(handle as NodeJS.Immediate);
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Waits for the in-flight work promises too: some libraries settle before the work does. */
function tracker() {
  const inFlight = new Set<Promise<unknown>>();
  return {
    track: <T>(promise: Promise<T>): Promise<T> => {
      inFlight.add(promise);
      const forget = () => inFlight.delete(promise);
      promise.then(forget, forget);
      return promise;
    },
    settled: () => Promise.allSettled([...inFlight]),
  };
}

/**
 * The floor: a hand-written loop per worker, no framework. Each worker has its own
 * AbortController: N listeners on one shared signal would make the group quadratic,
 * since EventTarget checks every listener for a duplicate on each add.
 */
const baseline: Impl = (workers, backoff) => {
  const controllers: AbortController[] = [];
  const loops = workers.map(async ({ name, work }) => {
    const controller = new AbortController();
    controllers.push(controller);
    const { signal } = controller;
    let crashes = 0;
    for (let attempt = 1; !signal.aborted; attempt++) {
      const startedAt = backoff.resetAfterMs === undefined ? 0 : performance.now();
      try {
        await work({ signal, name, attempt, ...noPulse });
        return;
      } catch {
        if (signal.aborted) return;
        // A timestamp, not a timer: the hand-written loop holds no timer while it runs.
        if (backoff.resetAfterMs !== undefined && performance.now() - startedAt >= backoff.resetAfterMs) crashes = 0;
        crashes++;
        await sleep(Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** (crashes - 1)), signal);
      }
    }
  });
  return {
    async stop() {
      for (const controller of controllers) controller.abort();
      await Promise.all(loops);
    },
  };
};

const xstateSupervisor: Impl = (workers, backoff) => {
  const controller = new AbortController();
  const done = runGroup(
    workers.map((worker) => ({ ...worker, backoff })),
    { signal: controller.signal, logger: false, installSignals: false },
  );
  return {
    async stop() {
      controller.abort();
      await done;
    },
  };
};

/**
 * The package's group machine as an embedder runs it: `createActor(groupMachine)`, without
 * runGroup's runtime (option checks, events, status, logging, signals), on the indexed
 * scheduler or XState's stock one.
 */
function groupMachineImpl(scheduler: 'indexed' | 'stock'): Impl {
  return (workers, backoff) => {
    const actor = createActor(groupMachine, {
      input: { workers: workers.map((worker) => ({ ...worker, backoff })) },
      clock: nodeClock,
    });
    if (scheduler === 'indexed') installIndexedScheduler(actor);
    const done = new Promise<GroupReport>((resolve, reject) =>
      actor.subscribe({ complete: () => resolve(actor.getSnapshot().output as GroupReport), error: reject }),
    );
    actor.start();
    return {
      async stop() {
        actor.send({ type: 'STOP' });
        await done;
      },
    };
  };
}

/** On XState's stock scheduler: measures what the indexed scheduler saves, in the same run. */
const xstateSupervisorStock: Impl = groupMachineImpl('stock');

/** With the indexed scheduler: the group machine's cost without runGroup's runtime. */
const xstateSupervisorMachine: Impl = groupMachineImpl('indexed');

/** The worker machine alone, one root actor per worker (as xstate-bare): no group. */
const xstateSupervisorWorkers: Impl = (workers, backoff) => {
  const actors = workers.map((worker) =>
    createActor(workerMachine, { input: { ...worker, backoff, stopDeadline: 'parent' }, clock: nodeClock }).start(),
  );
  return {
    async stop() {
      const ends = actors.map(
        (actor) => new Promise<WorkerReport>((resolve) => actor.subscribe({ complete: () => resolve(actor.getSnapshot().output as WorkerReport) })),
      );
      for (const actor of actors) actor.send({ type: 'STOP' });
      await Promise.all(ends);
    },
  };
};

const pRetryGroup: Impl = (workers, backoff) => {
  const controllers: AbortController[] = [];
  const { track, settled } = tracker();
  const runs = workers.map(({ name, work }) => {
    const controller = new AbortController(); // one each, as in the baseline
    controllers.push(controller);
    const { signal } = controller;
    let attempt = 0;
    return pRetry(() => track(Promise.resolve().then(() => work({ signal, name, attempt: ++attempt, ...noPulse }))), {
      retries: Number.POSITIVE_INFINITY,
      minTimeout: backoff.initialMs,
      factor: backoff.factor,
      maxTimeout: backoff.maxMs,
      signal,
    }).catch(() => undefined);
  });
  return {
    async stop() {
      for (const controller of controllers) controller.abort();
      await Promise.all(runs);
      await settled();
    },
  };
};

const effectGroup: Impl = (workers, backoff) => {
  const { track, settled } = tracker();
  const schedule = Schedule.exponential(Duration.millis(backoff.initialMs), backoff.factor).pipe(
    Schedule.union(Schedule.spaced(Duration.millis(backoff.maxMs))),
  );
  const fibers = workers.map(({ name, work }) => {
    let attempt = 0;
    const once = Effect.tryPromise({
      try: (signal) => track(Promise.resolve().then(() => work({ signal, name, attempt: ++attempt, ...noPulse }))),
      catch: (error) => error,
    });
    return Effect.runFork(Effect.retry(once, schedule));
  });
  return {
    async stop() {
      await Effect.runPromise(Fiber.interruptAll(fibers));
      await settled();
    },
  };
};

/**
 * The floor of any design where each worker is an XState machine actor and each attempt a
 * promise actor: a bare machine per worker (running ⇄ backoff, a delayed transition), each
 * a root actor, nothing else: no restart policy, no stop deadline,
 * no status, no events, no report. XState never waits for an aborted promise actor, so
 * stop() waits on the work promises itself (as for p-retry and Effect).
 */
const xstateBare: Impl = (workers, backoff) => bareMachines(workers, backoff, 'sync');

/**
 * `xstate-bare` as it was measured before: the work called in a microtask after the
 * promise actor starts. Every Error the work creates then captures a shallow stack instead
 * of the frames of the actor system's step that started the attempt, which this package
 * (like `fromPromise` itself) runs it in.
 */
const xstateBareDeferred: Impl = (workers, backoff) => bareMachines(workers, backoff, 'microtask');

function bareMachines(workers: readonly BenchWorker[], backoff: Backoff, start: 'sync' | 'microtask'): Running {
  const { track, settled } = tracker();
  const call = (input: { name: string; work: Work; attempt: number }, signal: AbortSignal): Promise<unknown> => {
    const context = { signal, name: input.name, attempt: input.attempt, ...noPulse };
    if (start === 'microtask') return Promise.resolve().then(() => input.work(context));
    try {
      return Promise.resolve(input.work(context));
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(error);
    }
  };
  const bareWorker = setup({
    types: { input: {} as { name: string; work: Work }, context: {} as { name: string; work: Work; attempt: number; crashes: number } },
    actors: {
      work: fromPromise<unknown, { name: string; work: Work; attempt: number }>(({ input, signal }) => track(call(input, signal))),
    },
    delays: {
      backoff: ({ context }) => Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** (context.crashes - 1)),
      resetAfter: backoff.resetAfterMs ?? 0,
    },
  }).createMachine({
    context: ({ input }) => ({ name: input.name, work: input.work, attempt: 0, crashes: 0 }),
    initial: 'running',
    states: {
      running: {
        entry: assign({ attempt: ({ context }) => context.attempt + 1 }),
        invoke: {
          src: 'work',
          input: ({ context }) => ({ name: context.name, work: context.work, attempt: context.attempt }),
          onDone: 'done',
          onError: { target: 'backoff', actions: assign({ crashes: ({ context }) => context.crashes + 1 }) },
        },
        // A pending timer per running attempt, as the package holds for `resetAfterMs`.
        ...(backoff.resetAfterMs === undefined ? {} : { after: { resetAfter: { actions: assign({ crashes: 0 }) } } }),
        on: { STOP: 'stopped' },
      },
      backoff: { after: { backoff: 'running' }, on: { STOP: 'stopped' } },
      done: { type: 'final' },
      stopped: { type: 'final' },
    },
  });
  // The package's clock (a zero delay is a setImmediate), so both yield alike on restart.
  // Root actors: one parent of N children would stop them in O(N²) (see the README).
  const actors = workers.map((worker) => createActor(bareWorker, { input: worker, clock: nodeClock }).start());
  return {
    async stop() {
      for (const actor of actors) actor.send({ type: 'STOP' });
      await settled();
    },
  };
}

/** Measured only when named with `--impl` (or by `--plot`): a before/after, not a peer. */
export const optionalImpls: ReadonlySet<string> = new Set([
  'xstate-supervisor-stock-scheduler',
  'xstate-supervisor-machine',
  'xstate-supervisor-workers',
  'xstate-bare-deferred',
]);

export const impls: Record<string, Impl> = {
  'xstate-supervisor': xstateSupervisor,
  'xstate-bare': xstateBare,
  'xstate-bare-deferred': xstateBareDeferred,
  'xstate-supervisor-stock-scheduler': xstateSupervisorStock,
  'xstate-supervisor-machine': xstateSupervisorMachine,
  'xstate-supervisor-workers': xstateSupervisorWorkers,
  baseline,
  'p-retry': pRetryGroup,
  effect: effectGroup,
};
