// Copies of the installed xstate with proposed one-line-scale patches applied, made in a
// temporary directory at run time (nothing of XState is stored in this repository).
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Patch {
  /** What the patch changes, as a reader of a table wants it named. */
  label: string;
  find: RegExp;
  replace: string;
}

/** bench/upstream/options-spread.md: `Object.assign` instead of the Actor constructor's options spread. */
export const optionsSpread: Patch = {
  label: 'Object.assign options',
  find: /const resolvedOptions = \{\s*\.\.\.defaultOptions,\s*\.\.\.options\s*\};/,
  replace: 'const resolvedOptions = Object.assign({}, defaultOptions, options);',
};

/** bench/upstream/snapshot-clone.md: a clone with the same state nodes keeps the value and tags. */
export const snapshotClone: Patch = {
  label: 'clone keeps value',
  find: /function cloneMachineSnapshot\(snapshot, config = \{\}\) \{\s*return createMachineSnapshot\(\{\s*\.\.\.snapshot,\s*\.\.\.config\s*\}, snapshot\.machine\);\s*\}/,
  replace: `function cloneMachineSnapshot(snapshot, config = {}) {
  const merged = {
    ...snapshot,
    ...config
  };
  // The same state nodes (an assign, a spawn, a stop changed the context or the children):
  // the same value and tags, which createMachineSnapshot would compute again from scratch.
  if (merged._nodes !== snapshot._nodes) {
    return createMachineSnapshot(merged, snapshot.machine);
  }
  return {
    status: merged.status,
    output: merged.output,
    error: merged.error,
    machine: snapshot.machine,
    context: merged.context,
    _nodes: merged._nodes,
    value: snapshot.value,
    tags: snapshot.tags,
    children: merged.children,
    historyValue: merged.historyValue || {},
    matches: machineSnapshotMatches,
    hasTag: machineSnapshotHasTag,
    can: machineSnapshotCan,
    getMeta: machineSnapshotGetMeta,
    toJSON: machineSnapshotToJSON
  };
}`,
};

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A directory beside this repository's layout: node_modules with every dependency linked
 * from here but xstate, a copy of it with `patches` applied, and a copy of `.bench` and
 * package.json, so `DIR/.bench/bench/run.js` runs the bench on the patched xstate.
 * Call `dispose()` when done.
 */
export function patchedTree(patches: readonly Patch[]): { dir: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'xstate-patched-'));
  mkdirSync(join(dir, 'node_modules'));
  for (const name of readdirSync(join(root, 'node_modules'))) {
    if (name !== 'xstate') symlinkSync(join(root, 'node_modules', name), join(dir, 'node_modules', name));
  }
  const copy = join(dir, 'node_modules', 'xstate');
  cpSync(join(root, 'node_modules/xstate'), copy, { recursive: true });
  for (const patch of patches) {
    let applied = 0;
    for (const file of readdirSync(join(copy, 'dist'))) {
      if (!file.endsWith('.js')) continue;
      const path = join(copy, 'dist', file);
      const text = readFileSync(path, 'utf8');
      if (!patch.find.test(text)) continue;
      writeFileSync(path, text.replace(patch.find, patch.replace));
      applied++;
    }
    if (applied === 0) throw new Error(`${patch.label}: the code to patch was not found in this xstate (changed upstream?)`);
  }
  cpSync(join(root, 'package.json'), join(dir, 'package.json'));
  cpSync(join(root, '.bench'), join(dir, '.bench'), { recursive: true });
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
