// Reproduction for bench/upstream/state-sort.md: every microstep sorts the state nodes it
// exits (`exitStates`) and enters (`enterStates`) with `Array.prototype.sort`, which in V8
// allocates TimSort's working state on every call of two or more elements. A machine whose
// transition goes between two states three levels deep (`a.b.c` ⇄ `d.e.f`: three nodes
// exited, three entered) pays it twice per transition; a flat one (`x` ⇄ `y`) sorts arrays
// of one node and does not. Both run on the installed xstate and on a copy patched to sort
// the state nodes with an in-place insertion sort (see patched-xstate.ts): time per
// transition, then bytes allocated per transition from the sampling heap profiler with the
// objects collected by GC included, in total and in the `sort` frames. Three interleaved
// rounds, each measurement in a fresh process. A short run of a machine with entry and exit
// actions (nesting, a parallel state, a final state) checks that both copies run the actions
// in the same order.
//
//   node --import tsx bench/upstream/state-sort.ts [TRANSITIONS]      (default 100000)
import { spawnSync } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as XState from 'xstate';
import { buildBench } from '../compiled.js';
import { patchedTree, stateSort } from './patched-xstate.js';

type Shape = 'nested' | 'flat';

/** Bytes per sample: small enough for a steady figure in 100000 transitions of a few KB. */
const SAMPLING_INTERVAL = 256;

function machineOf({ createMachine }: typeof XState, shape: Shape) {
  const tick = (target: string) => ({ on: { TICK: target } });
  return shape === 'nested'
    ? createMachine({
        id: 'm',
        types: {} as { events: { type: 'TICK' } },
        initial: 'a',
        states: {
          a: { initial: 'b', states: { b: { initial: 'c', states: { c: tick('#m.d') } } } },
          d: { initial: 'e', states: { e: { initial: 'f', states: { f: tick('#m.a') } } } },
        },
      })
    : createMachine({
        id: 'm',
        types: {} as { events: { type: 'TICK' } },
        initial: 'x',
        states: { x: tick('y'), y: tick('x') },
      });
}

/** The entry and exit actions, in the order they ran, of a machine that sorts 1 to 9 nodes. */
function actionOrder({ createActor, createMachine }: typeof XState): string {
  const log: string[] = [];
  const node = (name: string, rest: object = {}) => ({
    entry: () => void log.push(`+${name}`),
    exit: () => void log.push(`-${name}`),
    ...rest,
  });
  const machine = createMachine({
    id: 'o',
    initial: 'a',
    states: {
      a: node('a', {
        initial: 'b',
        states: { b: node('b', { initial: 'c', states: { c: node('c', { on: { GO: '#o.p' } }) } }) },
      }),
      p: node('p', {
        type: 'parallel',
        states: {
          r1: node('r1', { initial: 's', states: { s: node('s', { initial: 't', states: { t: node('t') } }) } }),
          r2: node('r2', { initial: 'u', states: { u: node('u', { initial: 'v', states: { v: node('v') } }) } }),
          r3: node('r3', { initial: 'w', states: { w: node('w') } }),
        },
        on: { BACK: '#o.a.b.c', END: '#o.z' },
      }),
      z: node('z', { type: 'final' }),
    },
  });
  const actor = createActor(machine).start();
  for (const type of ['GO', 'BACK', 'GO', 'END']) actor.send({ type });
  return log.join(' ');
}

interface SampleNode {
  callFrame: { functionName: string };
  selfSize: number;
  children: SampleNode[];
}

async function measure(entry: string, shape: Shape, transitions: number): Promise<Record<string, unknown>> {
  const xstate = (await import(entry)) as typeof XState;
  const actor = xstate.createActor(machineOf(xstate, shape)).start();
  const nodesBefore = actor.getSnapshot()._nodes.length;
  for (let i = 0; i < 10_000; i++) actor.send({ type: 'TICK' }); // warm-up
  globalThis.gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < transitions; i++) actor.send({ type: 'TICK' });
  const ns = ((performance.now() - t0) * 1e6) / transitions;
  const cpu = process.cpuUsage(cpu0);

  // Allocation: every sample of the profile (objects collected by GC included) is an object
  // allocated while sampling, attributed to the function that allocated it; the built-in
  // `Array.prototype.sort` shows as a frame named `sort`. The sums are estimates (one sample
  // per SAMPLING_INTERVAL bytes on average, weighted by size), unbiased over many samples.
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  globalThis.gc?.();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: SAMPLING_INTERVAL,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  for (let i = 0; i < transitions; i++) actor.send({ type: 'TICK' });
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: SampleNode } };
  session.disconnect();
  let total = 0;
  let inSort = 0;
  const walk = (node: SampleNode, underSort: boolean): void => {
    const sort = underSort || node.callFrame.functionName === 'sort';
    total += node.selfSize;
    if (sort) inSort += node.selfSize;
    for (const child of node.children) walk(child, sort);
  };
  walk(profile.head, false);
  actor.stop();
  return {
    machine: shape,
    state_nodes_active: nodesBefore,
    transitions,
    ns_per_transition: Math.round(ns),
    cpu_ns_per_transition: Math.round(((cpu.user + cpu.system) * 1000) / transitions),
    bytes_per_transition: Math.round(total / transitions),
    bytes_in_sort_per_transition: Math.round(inSort / transitions),
    action_order: actionOrder(xstate),
  };
}

const [mode, entry, shape, count] = process.argv.slice(2);
if (mode === '--measure' && entry !== undefined) {
  console.log(JSON.stringify(await measure(entry, shape as Shape, Number(count))));
} else {
  const transitions = Number(mode ?? 100_000);
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const { version } = JSON.parse(readFileSync(join(root, 'node_modules/xstate/package.json'), 'utf8')) as { version: string };
  buildBench();
  const tree = patchedTree([stateSort]);
  try {
    const patchedEntry = join(tree.dir, 'node_modules/xstate/dist/xstate.cjs.mjs');
    // patchedTree fails if no file matched; this also fails if any raise-*.js (the four
    // builds: cjs/esm, production/development) was left with a sort by `order`.
    const dist = join(tree.dir, 'node_modules/xstate/dist');
    for (const file of readdirSync(dist).filter((name) => /^raise-.*\.js$/.test(name))) {
      const text = readFileSync(join(dist, file), 'utf8');
      if (!text.includes('function sortByDocumentOrder(') || /\.sort\(\s*\(a, b\)\s*=>\s*[ab]\.order/.test(text)) {
        throw new Error(`${stateSort.label}: not applied to dist/${file}`);
      }
    }
    const self = fileURLToPath(import.meta.url);
    const entries = {
      [`xstate ${version}`]: import.meta.resolve('xstate'),
      [`xstate ${version}, ${stateSort.label}`]: pathToFileURL(patchedEntry).href,
    };
    const results: { round: number; xstate: string; machine: Shape; ns: number; cpu: number; bytes: number; sort: number; order: string }[] = [];
    for (let round = 1; round <= 3; round++) {
      for (const machine of ['nested', 'flat'] as const) {
        for (const [name, url] of Object.entries(entries)) {
          const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--measure', url, machine, String(transitions)], { encoding: 'utf8' });
          if (run.status !== 0) throw new Error(run.stderr);
          const result = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
          const { action_order: order, ...shown } = result;
          console.log(JSON.stringify({ round, xstate: name, ...shown }));
          results.push({
            round,
            xstate: name,
            machine,
            ns: result.ns_per_transition as number,
            cpu: result.cpu_ns_per_transition as number,
            bytes: result.bytes_per_transition as number,
            sort: result.bytes_in_sort_per_transition as number,
            order: order as string,
          });
        }
      }
    }
    const orders = new Set(results.map((result) => result.order));
    if (orders.size !== 1) throw new Error(`the entry and exit actions ran in different orders:\n${[...orders].join('\n')}`);
    console.log(`\nsame entry/exit action order on both copies: ${[...orders][0]}`);
    console.log('\nsummary (rounds 1 / 2 / 3):');
    for (const machine of ['nested', 'flat'] as const) {
      for (const name of Object.keys(entries)) {
        const rows = results.filter((result) => result.machine === machine && result.xstate === name);
        const join3 = (pick: (row: (typeof rows)[number]) => number, scale = 1, digits = 0) =>
          rows.map((row) => (pick(row) / scale).toFixed(digits)).join(' / ');
        console.log(
          `${machine.padEnd(6)} ${name.padEnd(44)} CPU ${join3((row) => row.cpu, 1000, 2)} µs  wall ${join3((row) => row.ns, 1000, 2)} µs  ` +
            `allocated ${join3((row) => row.bytes)} B  in sort ${join3((row) => row.sort)} B  per transition`,
        );
      }
    }
  } finally {
    tree.dispose();
  }
}

