// Every TypeScript block of README.md, compiled against the BUILT package: each block is a
// module of its own in a temporary project where 'xstate-supervisor' resolves to this
// repository's package.json and dist/ (built here first), type-checked with the repository's
// strict compiler options. A block fenced as ```ts run is also run (node --import tsx) and
// must exit 0. A README example that drifts from the package fails here.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');

interface Block {
  line: number;
  code: string;
  run: boolean;
}

const blocks: Block[] = [...readme.matchAll(/^```ts( run)?\n([\s\S]*?)^```$/gm)].map((match) => ({
  line: readme.slice(0, match.index).split('\n').length,
  code: match[2] ?? '',
  run: match[1] !== undefined,
}));

let project: string;

beforeAll(() => {
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
  project = mkdtempSync(join(tmpdir(), 'xstate-supervisor-readme-'));
  // Everything this repository has installed (xstate, @types/node, tsx, @statelyai/inspect, …)
  // is linked; the package itself is its manifest and its build.
  const modules = join(project, 'node_modules');
  mkdirSync(modules);
  for (const name of readdirSync(join(root, 'node_modules'))) {
    if (name.startsWith('.')) continue;
    symlinkSync(join(root, 'node_modules', name), join(modules, name), 'dir');
  }
  const self = join(modules, 'xstate-supervisor');
  mkdirSync(self);
  copyFileSync(join(root, 'package.json'), join(self, 'package.json'));
  symlinkSync(join(root, 'dist'), join(self, 'dist'), 'dir');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  const { compilerOptions } = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };
  for (const [index, block] of blocks.entries()) writeFileSync(join(project, `block${index}.ts`), block.code);
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      // Each block is a module of its own (top-level await, no names shared between blocks).
      compilerOptions: { ...compilerOptions, noEmit: true, moduleDetection: 'force' },
      include: blocks.map((_, index) => `block${index}.ts`),
    }),
  );
}, 180_000);

afterAll(() => {
  if (project !== undefined) rmSync(project, { recursive: true, force: true });
});

describe('README.md', () => {
  test('has TypeScript examples, some of them runnable', () => {
    expect(blocks.length).toBeGreaterThan(10);
    expect(blocks.some((block) => block.run)).toBe(true);
  });

  test('every ```ts block type-checks against the built package under the strict tsconfig', () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', project, '--pretty', 'false'], { cwd: project, encoding: 'utf8' });
    // Point each error at its README line.
    const errors = (result.stdout + result.stderr).replace(/^block(\d+)\.ts\((\d+),(\d+)\)/gm, (_, index: string, line: string, column: string) =>
      `README.md:${blocks[Number(index)]!.line + Number(line)}:${column}`,
    );
    expect(errors).toBe('');
    expect(result.status).toBe(0);
  }, 120_000);

  test.each(blocks.filter((block) => block.run).map((block) => [block.line, block] as const))(
    'the runnable block at line %i runs and exits 0',
    (_line, block) => {
      const index = blocks.indexOf(block);
      const result = spawnSync(process.execPath, ['--import', 'tsx', `block${index}.ts`], { cwd: project, encoding: 'utf8', timeout: 30_000 });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    },
    60_000,
  );
});
