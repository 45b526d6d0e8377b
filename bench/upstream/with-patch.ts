// The package and xstate-bare measured on the installed xstate and on a copy with the one-line
// patch of options-spread.md (`Object.assign` instead of the options spread in the Actor
// constructor): what heap and CPU per worker become once XState takes it. The copy is made in
// a temporary directory at run time (nothing of XState is stored here), next to a copy of the
// compiled bench, with every other dependency linked from this repository.
//
//   node --import tsx bench/upstream/with-patch.ts [SCENARIO ARGS…]   (default spawn-stop 10000)
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBench } from '../compiled.js';

const spread = /const resolvedOptions = \{\s*\.\.\.defaultOptions,\s*\.\.\.options\s*\};/;
const assign = 'const resolvedOptions = Object.assign({}, defaultOptions, options);';

const root = fileURLToPath(new URL('../..', import.meta.url));
const [scenario = 'spawn-stop', ...rest] = process.argv.slice(2);
const args = rest.length > 0 ? rest : scenario === 'spawn-stop' ? ['10000'] : [];
const { version } = JSON.parse(readFileSync(join(root, 'node_modules/xstate/package.json'), 'utf8')) as { version: string };

buildBench();
const dir = mkdtempSync(join(tmpdir(), 'xstate-patched-'));
try {
  mkdirSync(join(dir, 'node_modules'));
  for (const name of readdirSync(join(root, 'node_modules'))) {
    if (name !== 'xstate') symlinkSync(join(root, 'node_modules', name), join(dir, 'node_modules', name));
  }
  const copy = join(dir, 'node_modules', 'xstate');
  cpSync(join(root, 'node_modules/xstate'), copy, { recursive: true });
  let patched = 0;
  for (const file of readdirSync(join(copy, 'dist'))) {
    if (!file.endsWith('.js')) continue;
    const path = join(copy, 'dist', file);
    const text = readFileSync(path, 'utf8');
    if (!spread.test(text)) continue;
    writeFileSync(path, text.replace(spread, assign));
    patched++;
  }
  if (patched === 0) throw new Error(`xstate ${version}: the options spread was not found (fixed upstream?)`);
  cpSync(join(root, 'package.json'), join(dir, 'package.json'));
  cpSync(join(root, '.bench'), join(dir, '.bench'), { recursive: true });
  const trees = { [`xstate ${version}`]: root, [`xstate ${version}, Object.assign`]: dir };
  // Interleaved, two rounds, each measurement in a fresh process.
  for (let round = 1; round <= 2; round++) {
    for (const [xstate, tree] of Object.entries(trees)) {
      for (const impl of ['xstate-supervisor', 'xstate-bare']) {
        const run = spawnSync(process.execPath, ['--expose-gc', join(tree, '.bench/bench/run.js'), impl, scenario, ...args], { encoding: 'utf8' });
        const line = run.stdout.trim().split('\n').at(-1) ?? '';
        if (run.status !== 0 || !line.startsWith('{')) throw new Error(run.stderr);
        console.log(JSON.stringify({ round, xstate, ...(JSON.parse(line) as object) }));
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
