// One measurement in a fresh process: `node --expose-gc --import tsx bench/run.ts IMPL SCENARIO ARGS…`.
// Prints one JSON line. A smaller run of the same scenario warms the JIT up first.
import { impls } from './impls.js';
import { idle, pendingTimers, restartStorm, soak, spawnStop } from './scenarios.js';

const [implName = '', scenario = '', ...args] = process.argv.slice(2);
const impl = impls[implName];
if (impl === undefined) throw new Error(`unknown implementation ${implName}; one of ${Object.keys(impls).join(', ')}`);
const numbers = args.map(Number);

/**
 * Lets the warm-up run's teardown finish before the measured run starts. Its `stop()` can
 * resolve while the last promise reactions still hold the stopped group for a turn: a
 * heap measured then counted up to 4 MB of the warm-up as freed during the measured span
 * (spawn-stop 10k read about 400 B per worker low in roughly one run of three).
 */
const settled = async (): Promise<void> => {
  for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setTimeout(resolve, 5));
};

async function measure(): Promise<Record<string, unknown>> {
  switch (scenario) {
    case 'spawn-stop': {
      const n = numbers[0] ?? 10_000;
      await spawnStop(impl!, Math.min(n, 1000));
      await settled();
      return spawnStop(impl!, n);
    }
    case 'restart-storm': {
      const [n = 100, r = 1000] = numbers;
      await restartStorm(impl!, Math.min(n, 10), Math.min(r, 100));
      await settled();
      return restartStorm(impl!, n, r);
    }
    case 'pending-timers': {
      const [n = 10_000, k = 100, r = 100] = numbers;
      await pendingTimers(impl!, Math.min(n, 100), Math.min(k, 10), Math.min(r, 10));
      await settled();
      return pendingTimers(impl!, n, k, r);
    }
    case 'idle':
      return idle(impl!, numbers[0] ?? 10_000, numbers[1] ?? 2);
    case 'soak':
      return soak(impl!, numbers[0] ?? 1_000_000);
    default:
      throw new Error(`unknown scenario ${scenario}; one of spawn-stop, restart-storm, pending-timers, idle, soak`);
  }
}

const result = await measure();
console.log(JSON.stringify({ impl: implName, ...result, node: process.version }));
