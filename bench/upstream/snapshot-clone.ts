// Reproduction for bench/upstream/snapshot-clone.md: every `assign` (and every spawn or stop
// of a child) clones the machine snapshot with `cloneMachineSnapshot`, which calls
// `createMachineSnapshot` and so recomputes the state value (`getStateValue`: a Set of the
// state nodes with their ancestors, an adjacency Map, an array per node, the value objects)
// and the tags Set, although the state nodes did not change. Runs the same workload on the
// installed xstate and on a copy patched to keep `value` and `tags` when `_nodes` is the same.
//
//   node --import tsx bench/upstream/snapshot-clone.ts [ASSIGNS]      (default 200000)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as XState from 'xstate';
import { buildBench } from '../compiled.js';
import { patchedTree, snapshotClone } from './patched-xstate.js';

async function measure(entry: string, assigns: number): Promise<Record<string, number | boolean>> {
  const { assign, createActor, createMachine } = (await import(entry)) as typeof XState;
  // A state three levels deep, as a supervised worker's `{ attempt: { running: 'warm' } }`.
  const machine = createMachine({
    types: {} as { context: { n: number }; events: { type: 'TICK' } },
    context: { n: 0 },
    initial: 'a',
    states: { a: { initial: 'b', states: { b: { initial: 'c', states: { c: { on: { TICK: { actions: assign({ n: ({ context }) => context.n + 1 }) } } } } } } } },
  });
  const actor = createActor(machine).start();
  const before = actor.getSnapshot().value;
  actor.send({ type: 'TICK' });
  const sameValueObject = actor.getSnapshot().value === before;
  for (let i = 0; i < 10_000; i++) actor.send({ type: 'TICK' }); // warm-up
  globalThis.gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < assigns; i++) actor.send({ type: 'TICK' });
  const ns = ((performance.now() - t0) * 1e6) / assigns;
  const cpu = process.cpuUsage(cpu0);
  return {
    assigns,
    ns_per_assign_event: Math.round(ns),
    cpu_ns_per_assign_event: Math.round(((cpu.user + cpu.system) * 1000) / assigns),
    value_object_kept_by_assign: sameValueObject,
  };
}

const [mode, entry, count] = process.argv.slice(2);
if (mode === '--measure' && entry !== undefined) {
  console.log(JSON.stringify(await measure(entry, Number(count))));
} else {
  const assigns = Number(mode ?? 200_000);
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const { version } = JSON.parse(readFileSync(join(root, 'node_modules/xstate/package.json'), 'utf8')) as { version: string };
  buildBench();
  const tree = patchedTree([snapshotClone]);
  try {
    const self = fileURLToPath(import.meta.url);
    const entries = {
      [`xstate ${version}`]: import.meta.resolve('xstate'),
      [`xstate ${version}, clone keeps value`]: pathToFileURL(join(tree.dir, 'node_modules/xstate/dist/xstate.cjs.mjs')).href,
    };
    for (let round = 1; round <= 3; round++) {
      for (const [name, url] of Object.entries(entries)) {
        const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--measure', url, String(assigns)], { encoding: 'utf8' });
        if (run.status !== 0) throw new Error(run.stderr);
        console.log(JSON.stringify({ round, xstate: name, ...(JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as object) }));
      }
    }
  } finally {
    tree.dispose();
  }
}
