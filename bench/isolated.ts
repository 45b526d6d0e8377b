// Isolated work (inThread, inChildProcess) next to the bare Node primitives, in one process:
//   restart-storm-thread N R   N workers whose thread crashes R times, then returns (backoff 0)
//   spawn-stop-thread N        N workers each in a thread waiting for its signal: start all, stop all
//   restart-storm-process N R  the same with inChildProcess, next to a bare child_process.fork loop
//   spawn-stop-process N
// The package is measured from its build (dist/, built first), as users run it: from
// source every thread would register tsx first. CPU is the whole process's (all threads);
// for processes only the parent's (a child's own CPU is not counted).
import { fork } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type * as pkgTypes from '../src/index.js';
import type { Work } from '../src/index.js';

type Package = typeof pkgTypes;
type Result = Record<string, string | number>;

export const isolatedScenarios = ['restart-storm-thread', 'spawn-stop-thread', 'restart-storm-process', 'spawn-stop-process'];

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'xstate-supervisor-bench-'));
const file = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
/** Crashes until attempt R + 1, then returns. */
const crashes = file('crashes.mjs', `export default ({ attempt }) => { if (attempt <= Number(process.env.R)) throw new Error('crash'); };`);
/** Says it is up (ready()), then waits for its signal. */
const waits = file(
  'waits.mjs',
  `export default ({ signal, ready }) => new Promise((resolve) => { ready?.(); signal.addEventListener('abort', resolve, { once: true }); if (signal.aborted) resolve(); });`,
);
/** The bare thread: runs the module's default export once, posts how it went. */
const bareThread = file(
  'bare-thread.mjs',
  `import { parentPort, workerData } from 'node:worker_threads';
const controller = new AbortController();
parentPort.on('message', () => controller.abort());
const { default: work } = await import(workerData.module);
try { await work({ signal: controller.signal, attempt: workerData.attempt, name: 'w', ready: () => parentPort.postMessage({ up: true }) }); parentPort.postMessage('returned'); }
catch { parentPort.postMessage('threw'); }`,
);
const bareProcess = file(
  'bare-process.mjs',
  `const controller = new AbortController();
process.on('message', (m) => { if (m.type === 'abort') controller.abort(); else run(m); });
async function run({ module, attempt }) {
  const { default: work } = await import(module);
  let result; try { await work({ signal: controller.signal, attempt, name: 'w', ready: () => process.send({ up: true }) }); result = 'returned'; } catch { result = 'threw'; }
  process.send(result, () => process.exit(0));
}`,
);

const cpuMicros = (since: NodeJS.CpuUsage): number => {
  const usage = process.cpuUsage(since);
  return usage.user + usage.system;
};
const round = (value: number): number => Math.round(value * 10) / 10;

async function measure(body: () => Promise<number>): Promise<{ wall_ms: number; cpu_ms: number; attempts: number }> {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const attempts = await body();
  return { wall_ms: round(performance.now() - t0), cpu_ms: round(cpuMicros(cpu) / 1000), attempts };
}

/** One attempt in a bare Worker: start it, wait for its word, terminate it. */
function bareThreadAttempt(module: string, attempt: number, env: Record<string, string>, stop?: AbortSignal, up?: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const thread = new Worker(bareThread, { workerData: { module: pathToFileURL(module).href, attempt }, env });
    let result = '';
    stop?.addEventListener('abort', () => thread.postMessage('abort'), { once: true });
    thread.on('message', (message: unknown) => {
      if (typeof message !== 'string') return up?.();
      result = message;
      void thread.terminate();
    });
    thread.on('error', reject);
    thread.on('exit', () => resolve(result));
  });
}

function bareProcessAttempt(module: string, attempt: number, env: Record<string, string>, stop?: AbortSignal, up?: () => void): Promise<string> {
  return new Promise((resolve) => {
    const child = fork(bareProcess, [], { env, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result = '';
    child.send({ module: pathToFileURL(module).href, attempt });
    stop?.addEventListener('abort', () => child.connected && child.send({ type: 'abort' }), { once: true });
    child.on('message', (message: unknown) => {
      if (typeof message !== 'string') up?.();
      else result = message;
    });
    child.on('exit', () => resolve(result));
  });
}

async function restartStorm(pkg: Package, kind: 'thread' | 'process', n: number, r: number): Promise<Result[]> {
  const env = { ...process.env, R: String(r) } as Record<string, string>;
  const isolate = kind === 'thread' ? pkg.inThread(crashes, { env }) : pkg.inChildProcess(crashes, { env });
  const ours = await measure(async () => {
    const report = await pkg.runGroup(
      Array.from({ length: n }, (_, i) => ({ name: `w${i}`, work: isolate, backoff: { initialMs: 0 } })),
      { logger: false, installSignals: false },
    );
    return report.workers.reduce((sum, worker) => sum + worker.attempts, 0);
  });
  const bare = await measure(async () => {
    const loops = Array.from({ length: n }, async () => {
      let attempt = 1;
      const run = kind === 'thread' ? bareThreadAttempt : bareProcessAttempt;
      while ((await run(crashes, attempt, env)) === 'threw') attempt += 1;
      return attempt;
    });
    return (await Promise.all(loops)).reduce((sum, attempts) => sum + attempts, 0);
  });
  return [
    row(`xstate-supervisor ${kind === 'thread' ? 'inThread' : 'inChildProcess'}`, `restart-storm-${kind}`, n, ours),
    row(kind === 'thread' ? 'bare new Worker' : 'bare child_process.fork', `restart-storm-${kind}`, n, bare),
  ];
}

async function spawnStop(pkg: Package, kind: 'thread' | 'process', n: number): Promise<Result[]> {
  const rows: Result[] = [];
  for (const impl of ['ours', 'bare'] as const) {
    let up = 0;
    let allUp!: () => void;
    const everyoneUp = new Promise<void>((resolve) => (allUp = resolve));
    const onUp = (): void => {
      if (++up === n) allUp();
    };
    const controller = new AbortController();
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    let running: Promise<unknown>;
    if (impl === 'ours') {
      const inner = kind === 'thread' ? pkg.inThread(waits) : pkg.inChildProcess(waits);
      // ready() inside crosses to the context's ready (WorkContext.ready from issue #14): count it.
      const work: Work = (context) => inner({ ...context, ready: onUp });
      running = pkg.runGroup(Array.from({ length: n }, (_, i) => ({ name: `w${i}`, work })), {
        logger: false,
        installSignals: false,
        signal: controller.signal,
      });
    } else {
      const env = process.env as Record<string, string>;
      running = Promise.all(
        Array.from({ length: n }, (_, attempt) =>
          (kind === 'thread' ? bareThreadAttempt : bareProcessAttempt)(waits, attempt, env, controller.signal, onUp),
        ),
      );
    }
    await everyoneUp;
    const t1 = performance.now();
    controller.abort();
    await running;
    const t2 = performance.now();
    rows.push({
      impl: impl === 'ours' ? `xstate-supervisor ${kind === 'thread' ? 'inThread' : 'inChildProcess'}` : kind === 'thread' ? 'bare new Worker' : 'bare child_process.fork',
      scenario: `spawn-stop-${kind}`,
      n,
      start_ms_per_attempt: round((t1 - t0) / n),
      stop_ms: round(t2 - t1),
      cpu_ms_per_attempt: round(cpuMicros(cpu) / 1000 / n),
    });
  }
  return rows;
}

function row(impl: string, scenario: string, n: number, result: { wall_ms: number; cpu_ms: number; attempts: number }): Result {
  return {
    impl,
    scenario,
    n,
    attempts: result.attempts,
    wall_ms_per_attempt: round(result.wall_ms / result.attempts),
    cpu_ms_per_attempt: round(result.cpu_ms / result.attempts),
  };
}

/** Runs one isolated scenario and prints one JSON line per implementation. */
export async function runIsolated(scenario: string, args: string[]): Promise<void> {
  const build = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
  const pkg = (await import(pathToFileURL(join(root, 'dist/src/index.js')).href)) as Package;
  const [a, b] = args.map(Number);
  const kind = scenario.endsWith('-thread') ? 'thread' : 'process';
  const rows = scenario.startsWith('restart-storm')
    ? await restartStorm(pkg, kind, a ?? 10, b ?? 100)
    : await spawnStop(pkg, kind, a ?? 100);
  for (const result of rows) console.log(JSON.stringify({ ...result, node: process.version }));
}
