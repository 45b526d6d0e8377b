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

/**
 * bench/upstream/state-sort.md: the state nodes a microstep exits and enters (and, when the
 * machine is done, exits) are sorted in place by a small insertion sort instead of
 * `Array.prototype.sort`, whose TimSort state V8 allocates on every call of 2+ elements.
 * One regular expression for the three sites (in their order in the file: `microstep`'s
 * done handling, `enterStates`, `exitStates`), the code between them kept as captured;
 * the helper is declared (hoisted) just before `exitStates`.
 */
export const stateSort: Patch = {
  label: 'insertion sort of state nodes',
  find: /nextStateNodes\.sort\(\s*\(a, b\)\s*=>\s*b\.order\s*-\s*a\.order\s*\)([\s\S]*?)\[\s*\.\.\.statesToEnter\s*\]\.sort\(\s*\(a, b\)\s*=>\s*a\.order\s*-\s*b\.order\s*\)([\s\S]*?)function exitStates\(([\s\S]*?)statesToExit\.sort\(\s*\(a, b\)\s*=>\s*b\.order\s*-\s*a\.order\s*\);/,
  replace: `sortByDocumentOrder(nextStateNodes, -1)$1sortByDocumentOrder([...statesToEnter], 1)$2/**
 * Sorts state nodes in place by \`order\` (direction 1: ascending, -1: descending). \`order\`
 * is unique per machine, so any correct sort gives the same result; these arrays are small
 * (the nodes of one microstep), where an insertion sort allocates nothing, unlike
 * Array.prototype.sort.
 */
function sortByDocumentOrder(stateNodes, direction) {
  if (stateNodes.length > 16) {
    return stateNodes.sort((a, b) => direction * (a.order - b.order));
  }
  for (let i = 1; i < stateNodes.length; i++) {
    const stateNode = stateNodes[i];
    let j = i - 1;
    while (j >= 0 && direction * (stateNodes[j].order - stateNode.order) > 0) {
      stateNodes[j + 1] = stateNodes[j];
      j--;
    }
    stateNodes[j + 1] = stateNode;
  }
  return stateNodes;
}
function exitStates($3sortByDocumentOrder(statesToExit, -1);`,
};
