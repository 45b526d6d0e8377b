// Reproduction for bench/upstream/options-spread.md: XState's Actor constructor spreads its
// options (`{ ...defaultOptions, ...options }`), and in a system of many spawned actors V8
// gives most of those objects a hidden class (map) of their own. Runs the same workload on
// the installed xstate and on a copy patched to `Object.assign({}, defaultOptions, options)`
// (made in a temporary directory at run time; nothing of XState is stored here).
//
//   node --import tsx bench/upstream/options-spread.ts [N]      (default 10000)
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as XState from 'xstate';

const spread = /const resolvedOptions = \{\s*\.\.\.defaultOptions,\s*\.\.\.options\s*\};/;
const assign = 'const resolvedOptions = Object.assign({}, defaultOptions, options);';

async function measure(entry: string, n: number): Promise<Record<string, number>> {
  const { createActor, fromPromise, setup } = (await import(entry)) as typeof XState;
  // V8's own answer (run with --allow-natives-syntax); `%` is not TypeScript, hence the Function.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: unknown, b: unknown) => boolean;
  const work = fromPromise<void, { name: string }>(({ signal }) => new Promise((resolve) => signal.addEventListener('abort', () => resolve())));
  const child = setup({ types: { input: {} as { name: string }, context: {} as { name: string } }, actors: { work } }).createMachine({
    context: ({ input }) => ({ name: input.name }),
    invoke: { src: 'work', input: ({ context }) => ({ name: context.name }) },
  });
  const names = Array.from({ length: n }, (_, i) => `w${i}`);
  const root = setup({ actors: { child } }).createMachine({
    context: ({ spawn }) => ({ refs: names.map((name) => spawn('child', { id: name, systemId: name, input: { name } })) }),
  });
  globalThis.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  const actor = createActor(root).start();
  const cpu = process.cpuUsage(cpu0);
  globalThis.gc?.();
  const heap = process.memoryUsage().heapUsed - heap0;
  const refs = names.map((name) => actor.system.get(name) as { options: object });
  let distinct = 0;
  for (let i = 1; i < refs.length; i++) if (!sameMap(refs[i]!.options, refs[i - 1]!.options)) distinct++;
  actor.stop();
  return {
    actors: 2 * n,
    options_maps_differing_from_previous_child: distinct,
    heap_per_child_bytes: Math.round(heap / n),
    cpu_us_per_child: Math.round(((cpu.user + cpu.system) / n) * 100) / 100,
  };
}

const [mode, entry, count] = process.argv.slice(2);
if (mode === '--measure' && entry !== undefined) {
  console.log(JSON.stringify(await measure(entry, Number(count))));
} else {
  const n = Number(mode ?? 10_000);
  const require = createRequire(import.meta.url);
  const installed = dirname(require.resolve('xstate/package.json'));
  const { version } = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { version: string };
  const dir = mkdtempSync(join(tmpdir(), 'xstate-options-'));
  try {
    const copy = join(dir, 'node_modules', 'xstate');
    cpSync(installed, copy, { recursive: true });
    let patched = 0;
    for (const file of readdirSync(join(copy, 'dist'))) {
      if (!file.endsWith('.js')) continue;
      const path = join(copy, 'dist', file);
      const text = readFileSync(path, 'utf8');
      if (spread.test(text)) {
        writeFileSync(path, text.replace(spread, assign));
        patched++;
      }
    }
    if (patched === 0) throw new Error(`xstate ${version}: the options spread was not found (fixed upstream?)`);
    const self = fileURLToPath(import.meta.url);
    const entries = {
      [`xstate ${version}`]: import.meta.resolve('xstate'),
      [`xstate ${version}, Object.assign`]: pathToFileURL(join(copy, 'dist', 'xstate.cjs.mjs')).href,
    };
    // Interleaved, three rounds, each in a fresh process.
    for (let round = 1; round <= 3; round++) {
      for (const [name, url] of Object.entries(entries)) {
        const run = spawnSync(process.execPath, ['--expose-gc', '--allow-natives-syntax', '--import', 'tsx', self, '--measure', url, String(n)], { encoding: 'utf8' });
        if (run.status !== 0) throw new Error(run.stderr);
        console.log(JSON.stringify({ round, xstate: name, ...JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') }));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
