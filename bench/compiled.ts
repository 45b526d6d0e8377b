// The bench's measured processes run what `tsc` emits (tsconfig.bench.json → .bench/), as
// users run the package's build, and not through tsx: tsx transforms with esbuild's
// `keepNames`, which wraps every function expression in a `__name(fn, "…")` call, so each
// closure created per worker or per attempt cost an `Object.defineProperty` more — a cost
// of the bench harness, not of any implementation (all of them run compiled alike).
import { spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let built = false;

/** Compiles bench/, src/ and machines/ into .bench/ (once per process). */
export function buildBench(): void {
  if (built) return;
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.bench.json')], {
    encoding: 'utf8',
  });
  if (tsc.status !== 0) throw new Error(`tsc -p tsconfig.bench.json failed:\n${tsc.stdout}${tsc.stderr}`);
  built = true;
}

/** The compiled twin of a bench script: bench/run.ts → .bench/bench/run.js (already compiled: itself). */
export function compiled(script: string): string {
  if (script.endsWith('.js')) return script;
  buildBench();
  return join(root, '.bench', relative(root, script)).replace(/\.ts$/, '.js');
}
