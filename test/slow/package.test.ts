// What a user gets from `npm pack`: the tarball, installed in an empty folder (offline:
// xstate is linked from this repository), imported by plain ESM and type-checked as TS.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
let folder: string;
let files: string[];

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'xstate-supervisor-pack-'));
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', folder], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
  ) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const tarball = packed[0];
  if (tarball === undefined) throw new Error('npm pack produced nothing');
  files = tarball.files.map((file) => file.path);
  const app = join(folder, 'app');
  const installed = join(app, 'node_modules', 'xstate-supervisor');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', join(folder, tarball.filename), '-C', installed, '--strip-components=1']);
  // The peer and the runtime dependencies, linked from this repository (offline).
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  for (const name of ['xstate', ...Object.keys(manifest.dependencies ?? {})]) {
    symlinkSync(join(root, 'node_modules', name), join(app, 'node_modules', name), 'dir');
  }
  writeFileSync(join(app, 'package.json'), JSON.stringify({ type: 'module', private: true }));
}, 120_000);

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe('the packed package', () => {
  test('ships only the build output and the docs', () => {
    expect(files.every((file) => /^(dist\/|README\.md$|CHANGELOG\.md$|SECURITY\.md$|LICENSE$|package\.json$)/.test(file))).toBe(true);
    expect(files).toContain('dist/src/index.js');
    expect(files).toContain('dist/src/index.d.ts');
    expect(files).toContain('SECURITY.md');
    expect(files.some((file) => file.startsWith('dist/test') || file.startsWith('dist/examples'))).toBe(false);
  });

  test('imports and runs from an empty folder, with no unhandled rejection', () => {
    const app = join(folder, 'app');
    writeFileSync(
      join(app, 'main.mjs'),
      `
      import { runGroup, supervise, startGroup, renderStatus, FatalError, groupMachine, workerMachine } from 'xstate-supervisor';
      import { createActor } from 'xstate';
      process.on('unhandledRejection', (reason) => { console.error('unhandled', reason); process.exit(1); });
      const controller = new AbortController();
      const group = runGroup([
        { name: 'crasher', work: ({ attempt }) => { if (attempt === 1) throw new Error('once'); return new Promise(() => {}); }, backoff: { initialMs: 1 }, stopTimeoutMs: 10 },
        { name: 'waiter', work: ({ signal }) => new Promise((resolve) => signal.addEventListener('abort', resolve)) },
      ], { signal: controller.signal, logger: false, installSignals: false });
      setTimeout(() => controller.abort(), 50);
      const report = await group;
      const single = await supervise('one', () => 'ok', { logger: false });
      const embedded = createActor(groupMachine, { input: { workers: [] } }).start().getSnapshot().output;
      const rejected = await runGroup([{ name: '', work: () => {} }]).catch((error) => error.constructor.name + ': ' + error.message);
      const handle = startGroup([{ name: 'fatal', work: () => { throw new FatalError('bad config'); } }], { logger: false, installSignals: false, onGiveUp: 'escalate' });
      const escalated = await handle.done.catch((error) => error.report.workers[0].outcome);
      const table = renderStatus(handle).split(String.fromCharCode(10))[1].split(/ +/).slice(0, 2).join(' ');
      console.log(JSON.stringify({ report, single, embedded, worker: typeof workerMachine.provide, rejected, escalated, table }));
      `,
    );
    const out = execFileSync(process.execPath, ['main.mjs'], { cwd: app, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({
      report: {
        outcome: 'stopped',
        workers: [
          { name: 'crasher', outcome: 'stopped', attempts: 2, restarts: 1, lastError: {}, stopTimedOut: true },
          { name: 'waiter', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false },
        ],
      },
      single: { name: 'one', outcome: 'done', attempts: 1, restarts: 0, stopTimedOut: false },
      embedded: { outcome: 'done', workers: [] },
      worker: 'function',
      rejected: "TypeError: Expected `specs[0].name` to be a non-empty string, got ''",
      escalated: 'failed',
      table: 'fatal failed',
    });
  });

  test('type-checks a TypeScript consumer against the shipped declarations', () => {
    const app = join(folder, 'app');
    writeFileSync(
      join(app, 'main.ts'),
      `
      import {
        runGroup, supervise, startGroup, renderStatus, watchStatus, FatalError, workerMachine, groupMachine,
        type GroupReport, type WorkerReport, type Work, type GroupHandle, type WorkerStatus, type GroupFailure,
        inThread, inChildProcess, serveGroup, type SupervisorEvent,
      } from 'xstate-supervisor';
      import { createActor, fromPromise } from 'xstate';
      const work: Work = async ({ signal, name, attempt }) => { void signal.aborted; void name.length; void attempt.toFixed(); };
      const report: Promise<GroupReport> = runGroup([{ name: 'a', work, backoff: { initialMs: 10 } }], { installSignals: false });
      const single: Promise<WorkerReport> = supervise('b', work, { stopTimeoutMs: 5 });
      const actor = createActor(groupMachine, { input: { workers: [{ name: 'c', work }] } });
      actor.send({ type: 'STOP' });
      const outcome: 'done' | 'stopped' | 'failed' | undefined = createActor(workerMachine, { input: { name: 'd', work } }).getSnapshot().output?.outcome;
      const handle: GroupHandle = startGroup([{ name: 'e', work: fromPromise(async () => 1), maxRestarts: { count: 3, withinMs: 60_000 } }], { onGiveUp: 'escalate' });
      handle.add({ name: 'f', work, backoff: { resetAfterMs: 60_000, jitter: 'full' } });
      const removed: Promise<WorkerReport> = handle.remove('f');
      const status: WorkerStatus[] = handle.status();
      const text: string = renderStatus(handle);
      watchStatus(handle, { intervalMs: 500 }).stop();
      handle.actor.send({ type: 'ADD', worker: { name: 'g', work: () => { throw new FatalError('no'); } } });
      void handle.done.catch((error: GroupFailure) => error.report.outcome);
      void report; void single; void outcome; void removed; void status; void text;
      // This round's binding surface (DESIGN.md): dynamic groups, hung work, isolated work, serving.
      const dynamic: GroupHandle = startGroup([], { autoShutdown: 'never', installSignals: false });
      const watched: Work = ({ heartbeat, ready, progress }) => { ready(); heartbeat(progress); heartbeat(); };
      dynamic.add({ name: 'h', work: watched, readyTimeoutMs: 1000, heartbeatTimeoutMs: 2000, attemptTimeoutMs: 60_000 });
      const isolated: Work[] = [
        inThread(new URL('file:///work.js'), { resourceLimits: { maxOldGenerationSizeMb: 64 }, execArgv: [], env: { A: '1' } }),
        inChildProcess('/abs/work.js', { env: { A: '1' }, cwd: '/', killSignal: 'SIGINT' }),
        inChildProcess({ command: 'sleep', args: ['1'] }),
      ];
      const server: Promise<{ url: string; close(): Promise<void> }> = serveGroup(dynamic, { port: 0, host: '127.0.0.1' });
      const ready: boolean = dynamic.status()[0]?.ready ?? false;
      const beat: number | undefined = dynamic.status()[0]?.lastHeartbeatAt;
      const onEvent = (event: SupervisorEvent): string =>
        event.type === 'worker.hung' ? event.timeout : event.type;
      void isolated; void server; void ready; void beat; void onEvent;
      // @ts-expect-error: an unknown option is a type error too
      void runGroup([], { installSignal: false });
      `,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, types: [], skipLibCheck: true, exactOptionalPropertyTypes: true }, files: ['main.ts'] }),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', app], { cwd: app, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readdirSync(app)).not.toContain('main.js');
  });
});
