// `npm run bench -- add-remove N`: N workers added one by one to a running group, then
// removed one by one (each removal awaited: its work settled): CPU per add, CPU per remove,
// and the heap left once all are gone (after a forced GC), for this package and the
// hand-written baseline. Each is measured in a fresh `node --expose-gc` process, after a
// smaller warm-up run; one JSON line per implementation.
import { spawnSync } from 'node:child_process';
import { compiled } from './compiled.js';
import { fileURLToPath } from 'node:url';
import { startGroup, type Work } from '../src/index.js';

/** A group that takes workers while it runs. */
interface Dynamic {
  add(name: string, work: Work): void;
  remove(name: string): Promise<void>;
  stop(): Promise<void>;
}

const dynamics: Record<string, () => Dynamic> = {
  baseline: () => {
    // The floor: one AbortController and one loop promise per worker, in a Map by name.
    const running = new Map<string, { controller: AbortController; loop: Promise<void> }>();
    return {
      add(name, work) {
        const controller = new AbortController();
        const loop = (async () => {
          for (let attempt = 1; !controller.signal.aborted; attempt++) {
            try {
              await work({ signal: controller.signal, name, attempt, heartbeat: () => undefined, ready: () => undefined, progress: undefined });
              return;
            } catch {
              // restarts at once: the scenario's work never crashes
            }
          }
        })();
        running.set(name, { controller, loop });
      },
      async remove(name) {
        const worker = running.get(name);
        if (worker === undefined) return;
        running.delete(name);
        worker.controller.abort();
        await worker.loop;
      },
      async stop() {
        for (const name of [...running.keys()]) await this.remove(name);
      },
    };
  },
  'xstate-supervisor': () => {
    const group = startGroup([], { autoShutdown: 'never', installSignals: false, logger: false });
    return {
      add: (name, work) => group.add({ name, work }),
      remove: async (name) => {
        await group.remove(name);
      },
      stop: async () => {
        await group.stop();
      },
    };
  },
};

const waiting: Work = ({ signal }) =>
  new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));

function heapUsed(): number {
  if (!globalThis.gc) throw new Error('run with node --expose-gc');
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}
const cpuMicros = (since: NodeJS.CpuUsage): number => {
  const usage = process.cpuUsage(since);
  return usage.user + usage.system;
};

async function addRemove(make: () => Dynamic, n: number): Promise<Record<string, number>> {
  const heapBefore = heapUsed();
  const group = make();
  const addStart = process.cpuUsage();
  for (let i = 0; i < n; i++) group.add(`w${i}`, waiting);
  const addCpu = cpuMicros(addStart);
  const heapFull = heapUsed();
  const removeStart = process.cpuUsage();
  for (let i = 0; i < n; i++) await group.remove(`w${i}`);
  const removeCpu = cpuMicros(removeStart);
  const heapAfter = heapUsed();
  await group.stop();
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    n,
    cpu_us_per_add: round(addCpu / n),
    cpu_us_per_remove: round(removeCpu / n),
    heap_per_worker_bytes: Math.round((heapFull - heapBefore) / n),
    heap_after_bytes: heapAfter - heapBefore,
  };
}

/** Runs the scenario for every implementation, each in a fresh process; prints JSON lines and returns them. */
export function runAddRemove(args: readonly string[]): Record<string, unknown>[] {
  const self = fileURLToPath(import.meta.url);
  const rows: Record<string, unknown>[] = [];
  for (const impl of Object.keys(dynamics)) {
    const child = spawnSync(process.execPath, ['--expose-gc', compiled(self), impl, ...args], { encoding: 'utf8' });
    const line = child.stdout.trim().split('\n').at(-1) ?? '';
    if (child.status !== 0 || !line.startsWith('{')) throw new Error(`${impl} add-remove failed:\n${child.stderr}`);
    console.log(line);
    rows.push(JSON.parse(line) as Record<string, unknown>);
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [impl = '', count = '10000'] = process.argv.slice(2);
  const make = dynamics[impl];
  if (make === undefined) throw new Error(`unknown implementation ${impl}; one of ${Object.keys(dynamics).join(', ')}`);
  const n = Number(count);
  await addRemove(make, Math.min(n, 1000));
  const result = await addRemove(make, n);
  console.log(JSON.stringify({ impl, scenario: 'add-remove', ...result, node: process.version }));
}
