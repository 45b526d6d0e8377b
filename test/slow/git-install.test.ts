// What a user gets from `npm install git+https://…/xstate-supervisor.git`: npm clones the
// repository, installs its devDependencies in the clone and runs `prepare` (the build), then
// packs the result. Here the repository is a local clone of this one (git+file: no network
// for git). The clone's devDependencies and the package's dependencies come from npm's cache
// (--prefer-offline): fully offline (--offline) this works only with a warm cache, else npm
// stops with ENOTCACHED. xstate is linked from this repository.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'xstate-supervisor-git-'));

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

test('installs from a git URL: prepare builds dist/, and the package imports', () => {
  const repo = join(folder, 'repo');
  execFileSync('git', ['clone', '--quiet', root, repo]); // the committed HEAD of this branch
  expect(existsSync(join(repo, 'dist'))).toBe(false); // dist/ is not in git
  const app = join(folder, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  execFileSync(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', `git+file://${repo}`, join(root, 'node_modules', 'xstate')],
    { cwd: app, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  expect(existsSync(join(app, 'node_modules', 'xstate-supervisor', 'dist', 'src', 'index.js'))).toBe(true);
  const out = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', "const m = await import('xstate-supervisor'); console.log(typeof m.runGroup, typeof m.watchStatus, typeof m.isGroupFailure);"],
    { cwd: app, encoding: 'utf8' },
  );
  expect(out.trim()).toBe('function function function');
}, 600_000);
