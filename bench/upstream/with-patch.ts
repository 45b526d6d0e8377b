// The package and xstate-bare measured on the installed xstate and on copies with the
// proposed XState patches of this directory (options-spread.md, snapshot-clone.md), one at
// a time and together: what CPU and heap per worker become once XState takes them.
// Interleaved, two rounds, each measurement in a fresh process.
//
//   node --import tsx bench/upstream/with-patch.ts [SCENARIO ARGS…]   (default spawn-stop 10000)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBench } from '../compiled.js';
import { optionsSpread, patchedTree, snapshotClone, type Patch } from './patched-xstate.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const [scenario = 'spawn-stop', ...rest] = process.argv.slice(2);
const args = rest.length > 0 ? rest : scenario === 'spawn-stop' ? ['10000'] : [];
const { version } = JSON.parse(readFileSync(join(root, 'node_modules/xstate/package.json'), 'utf8')) as { version: string };

buildBench();
const variants: (readonly Patch[])[] = [[optionsSpread], [snapshotClone], [optionsSpread, snapshotClone]];
const trees = variants.map((patches) => ({ patches, ...patchedTree(patches) }));
try {
  const all = [{ label: `xstate ${version}`, dir: root }, ...trees.map(({ patches, dir }) => ({ label: `xstate ${version} + ${patches.map((patch) => patch.label).join(' + ')}`, dir }))];
  for (let round = 1; round <= 2; round++) {
    for (const { label, dir } of all) {
      for (const impl of ['xstate-supervisor', 'xstate-bare']) {
        const run = spawnSync(process.execPath, ['--expose-gc', join(dir, '.bench/bench/run.js'), impl, scenario, ...args], { encoding: 'utf8' });
        const line = run.stdout.trim().split('\n').at(-1) ?? '';
        if (run.status !== 0 || !line.startsWith('{')) throw new Error(run.stderr);
        console.log(JSON.stringify({ round, xstate: label, ...(JSON.parse(line) as object) }));
      }
    }
  }
} finally {
  for (const tree of trees) tree.dispose();
}
