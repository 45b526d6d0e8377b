// The scenarios of the shared benchmark protocol (../shared/peer/README.md), plus idle
// and soak. Each returns one result object; run.ts prints it as a JSON line.
import type { BenchWorker, Impl } from './impls.js';

type Result = Record<string, string | number>;

const gc = (): void => {
  if (!globalThis.gc) throw new Error('run with node --expose-gc');
  globalThis.gc();
};
const heapUsed = (): number => {
  gc();
  return process.memoryUsage().heapUsed;
};
const cpuMicros = (since?: NodeJS.CpuUsage): number => {
  const usage = process.cpuUsage(since);
  return usage.user + usage.system;
};
const waitForStop = (signal: AbortSignal) =>
  new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));

/** The default backoff, for scenarios whose workers do not crash. */
const defaultBackoff = { initialMs: 1000, factor: 2, maxMs: 30_000 };

/** N workers that wait for their stop signal, and a promise of all of them having started. */
function waitingWorkers(n: number): { workers: BenchWorker[]; everyoneStarted: Promise<void> } {
  let started = 0;
  let allStarted!: () => void;
  const everyoneStarted = new Promise<void>((resolve) => (allStarted = resolve));
  const workers: BenchWorker[] = Array.from({ length: n }, (_, i) => ({
    name: `w${i}`,
    work: ({ signal }) => {
      if (++started === n) allStarted();
      return waitForStop(signal);
    },
  }));
  return { workers, everyoneStarted };
}

/** N workers that wait for their stop signal: time to start all, time to stop all. */
export async function spawnStop(impl: Impl, n: number): Promise<Result> {
  const { workers, everyoneStarted } = waitingWorkers(n);
  const heapBefore = heapUsed();
  const cpuStart = process.cpuUsage();
  const t0 = performance.now();
  const running = impl(workers, defaultBackoff);
  await everyoneStarted;
  const t1 = performance.now();
  const startCpu = cpuMicros(cpuStart);
  const heapPerWorker = (heapUsed() - heapBefore) / n; // the forced GC is outside both spans
  const cpuStop = process.cpuUsage();
  const t2 = performance.now();
  await running.stop();
  const t3 = performance.now();
  const stopCpu = cpuMicros(cpuStop);
  return {
    scenario: 'spawn-stop',
    n,
    start_ms: round(t1 - t0),
    stop_ms: round(t3 - t2),
    cpu_us_per_worker: round((startCpu + stopCpu) / n),
    cpu_ms_total: round((startCpu + stopCpu) / 1000),
    heap_per_worker_bytes: Math.round(heapPerWorker),
  };
}

/** N workers, each crashing R times at zero backoff, then waiting. */
export async function restartStorm(impl: Impl, n: number, r: number): Promise<Result> {
  const total = n * r;
  let crashes = 0;
  let allCrashed!: () => void;
  const finished = new Promise<void>((resolve) => (allCrashed = resolve));
  const counts = new Array<number>(n).fill(0);
  const workers: BenchWorker[] = Array.from({ length: n }, (_, i) => ({
    name: `w${i}`,
    work: ({ signal }) => {
      counts[i] = (counts[i] ?? 0) + 1;
      if ((counts[i] ?? 0) <= r) {
        if (++crashes === total) allCrashed();
        throw new Error('boom');
      }
      return waitForStop(signal);
    },
  }));
  const cpuStart = process.cpuUsage();
  const t0 = performance.now();
  const running = impl(workers, { initialMs: 0, factor: 2, maxMs: 0 });
  await finished;
  const t1 = performance.now();
  const cpu = cpuMicros(cpuStart);
  await running.stop();
  return {
    scenario: 'restart-storm',
    n,
    restarts: total,
    restarts_per_s: Math.round(total / ((t1 - t0) / 1000)),
    elapsed_ms: round(t1 - t0),
    cpu_us_per_restart: round(cpu / total),
  };
}

/**
 * N workers, each holding a pending `resetAfterMs` timer (a young attempt), while K of them
 * crash R times each at zero backoff: the CPU per restart of the crash loop alone, measured
 * once all N have started. A restart should cost the same with N = 100 and N = 10k.
 */
export async function pendingTimers(impl: Impl, n: number, k: number, r: number): Promise<Result> {
  if (k > n) throw new RangeError(`pending-timers: K (${k}) must not exceed N (${n})`);
  const total = k * r;
  let started = 0;
  let crashes = 0;
  let allStarted!: () => void;
  let allCrashed!: () => void;
  let go!: () => void;
  const everyoneStarted = new Promise<void>((resolve) => (allStarted = resolve));
  const finished = new Promise<void>((resolve) => (allCrashed = resolve));
  const released = new Promise<void>((resolve) => (go = resolve));
  const workers: BenchWorker[] = Array.from({ length: n }, (_, i) => ({
    name: `w${i}`,
    work: async ({ signal, attempt }) => {
      if (attempt === 1 && ++started === n) allStarted();
      if (i >= k || attempt > r) return waitForStop(signal);
      if (attempt === 1) await released; // the crash loop starts once every worker runs
      if (++crashes === total) allCrashed();
      throw new Error('boom');
    },
  }));
  const running = impl(workers, { initialMs: 0, factor: 2, maxMs: 0, resetAfterMs: 3_600_000 });
  await everyoneStarted;
  gc();
  const cpuStart = process.cpuUsage();
  const t0 = performance.now();
  go();
  await finished;
  const t1 = performance.now();
  const cpu = cpuMicros(cpuStart);
  await running.stop();
  return {
    scenario: 'pending-timers',
    n,
    crashing: k,
    restarts: total,
    elapsed_ms: round(t1 - t0),
    cpu_us_per_restart: round(cpu / total),
  };
}

const timerKinds = new Set(['Timeout', 'Immediate']);
const countTimers = () => process.getActiveResourcesInfo().filter((kind) => timerKinds.has(kind)).length;

/** N waiting workers: the timers they hold and the CPU they use over `seconds`. */
export async function idle(impl: Impl, n: number, seconds = 2): Promise<Result> {
  const { workers, everyoneStarted } = waitingWorkers(n);
  const timersBefore = countTimers();
  const running = impl(workers, defaultBackoff);
  await everyoneStarted;
  gc();
  // The waits of the suite: idleness is measured over wall time, after 1 s in which the
  // garbage collector finishes what start-up left (the same for every implementation).
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const timers = countTimers() - timersBefore;
  const cpuStart = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const cpu = cpuMicros(cpuStart);
  await running.stop();
  return { scenario: 'idle', n, seconds, timers, cpu_ms: round(cpu / 1000), cpu_ms_per_s: round(cpu / 1000 / seconds) };
}

/** One worker crashing R times in a row at zero backoff: does the heap grow? */
export async function soak(impl: Impl, restarts: number): Promise<Result> {
  const warm = Math.min(1000, restarts);
  let attempts = 0;
  let warmed!: () => void;
  let allCrashed!: () => void;
  const warmedUp = new Promise<void>((resolve) => (warmed = resolve));
  const finished = new Promise<void>((resolve) => (allCrashed = resolve));
  const crash = new Error('boom'); // one error object: measure the supervisor, not the work
  const workers: BenchWorker[] = [
    {
      name: 'soak',
      work: ({ signal }) => {
        attempts++;
        if (attempts === warm) warmed();
        if (attempts <= restarts) {
          if (attempts === restarts) allCrashed();
          throw crash;
        }
        return waitForStop(signal);
      },
    },
  ];
  const running = impl(workers, { initialMs: 0, factor: 2, maxMs: 0 });
  await warmedUp;
  const heapWarm = heapUsed();
  const cpuStart = process.cpuUsage();
  const t0 = performance.now();
  await finished;
  const t1 = performance.now();
  const cpu = cpuMicros(cpuStart);
  // Let the last restart start and park, then measure.
  while (attempts <= restarts) await new Promise((resolve) => setImmediate(resolve));
  const heapEnd = heapUsed();
  await running.stop();
  return {
    scenario: 'soak',
    restarts,
    elapsed_ms: round(t1 - t0),
    cpu_us_per_restart: round(cpu / (restarts - warm || 1)),
    heap_growth_bytes: heapEnd - heapWarm,
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
