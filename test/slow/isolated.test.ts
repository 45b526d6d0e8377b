// Real worker threads and real child processes (issue #15): what crosses the boundary, how
// a stop always ends, and that no thread or child outlives its group. Bounds are generous:
// the machine is shared.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { inChildProcess, inThread, runGroup, startGroup, supervise, type Work } from '../../src/index.js';
import { repeatWindowMs } from '../../src/signals.js';
import { eventRecorder } from '../helpers.js';

const fixture = (name: string) => new URL(`../fixtures/isolated/${name}.ts`, import.meta.url);
const groupFixture = fileURLToPath(new URL('../fixtures/isolated-group.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Waits (polling: the event is in another process) until `check` holds, up to `ms`. */
async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const pidFile = () => join(mkdtempSync(join(tmpdir(), 'xstate-supervisor-')), 'pid');
const readPid = async (file: string): Promise<number> => {
  await until(() => existsSync(file) && readFileSync(file, 'utf8') !== '', `${file}`);
  return Number(readFileSync(file, 'utf8'));
};
const env = (file: string) => ({ ...process.env, PID_FILE: file }) as Record<string, string>;

/** The share of one core this process used over the next `ms` (threads included). */
async function cpuShare(ms: number): Promise<number> {
  const start = process.cpuUsage();
  const startedAt = performance.now();
  await delay(ms);
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000 / (performance.now() - startedAt);
}

/** Resolves when the spin fixture says it spins (on its BroadcastChannel). */
function untilSpinning(): Promise<void> {
  const channel = new BroadcastChannel('xstate-supervisor-test');
  return new Promise((resolve) => {
    channel.onmessage = () => {
      channel.close();
      resolve();
    };
  });
}

function runFixture(...args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', groupFixture, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exit, output: () => ({ stdout, stderr }) };
}

describe.each([
  ['inThread', inThread],
  ['inChildProcess', inChildProcess],
] as const)('%s: what crosses the boundary', (_, isolated) => {
  test('the context goes in, the return value comes out', async () => {
    const work = isolated(fixture('returns'));
    let value: unknown;
    // The progress an earlier attempt reported (a WorkContext member from issue #14) crosses too.
    const report = await supervise('crosser', async (context) => (value = await work({ ...context, progress: { offset: 42 } })), {
      logger: false,
    });
    expect(report).toMatchObject({ outcome: 'done', attempts: 1 });
    expect(value).toEqual({ name: 'crosser', attempt: 1, progress: { offset: 42 } });
  });

  test('a FatalError thrown inside stays fatal: no restart', async () => {
    const report = await supervise('fatal', isolated(fixture('fatal')), { logger: false });
    expect(report).toMatchObject({ outcome: 'failed', attempts: 1 });
    expect((report.lastError as Error).name).toBe('FatalError');
  });

  test('a thrown Error comes back with its name, message, stack, cause and own properties', async () => {
    const report = await supervise('thrower', isolated(fixture('throws')), { logger: false, restart: 'never' });
    expect(report.outcome).toBe('failed');
    const error = report.lastError as Error & { code: string; cause: Error };
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ParseError');
    expect(error.message).toBe('bad input');
    expect(error.code).toBe('E_PARSE');
    expect(error.stack).toContain('throws.ts');
    expect(error.cause.name).toBe('RangeError');
    expect(error.cause.message).toBe('line 3');
  });

  test('a missing module is a crash at the first attempt, with an error that says so', async () => {
    const report = await supervise('missing', isolated(fixture('does-not-exist')), { logger: false, restart: 'never' });
    expect(report).toMatchObject({ outcome: 'failed', attempts: 1 });
    expect(String((report.lastError as Error).message)).toMatch(/^Cannot load the work module file:.*does-not-exist\.ts/);
  });

  test('process.exit() and an uncaught exception inside are crashes', async () => {
    const exited = await supervise('exits', isolated(fixture('exits')), { logger: false, restart: 'never' });
    expect((exited.lastError as Error).message).toMatch(/exited with code 3 before its work settled/);
    expect(exited.lastError).toMatchObject({ exitCode: 3 });
    const uncaught = await supervise('uncaught', isolated(fixture('uncaught')), { logger: false, restart: 'never' });
    expect((uncaught.lastError as Error).message).toBe('from a timer');
  });

  test('STOP aborts the signal inside; the work settles and the worker is stopped, not crashed', async () => {
    const recorder = eventRecorder();
    const group = startGroup([{ name: 'waits', work: isolated(fixture('waits')) }], { logger: false, installSignals: false, onEvent: recorder.onEvent });
    await recorder.until((event) => event.type === 'worker.started');
    const report = await group.stop();
    expect(report.workers[0]).toEqual({ name: 'waits', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false });
  });
});

describe('inThread: a thread can always be stopped', () => {
  test('a CPU-bound thread: the parent keeps ticking, STOP ends it at stopTimeoutMs, the thread is gone', async () => {
    const run = runFixture('spin');
    const { code } = await run.exit;
    const { stdout, stderr } = run.output();
    expect(stderr).toBe('');
    // The fixture's process ended by itself: no thread was left to hold it open.
    expect(code).toBe(0);
    const { report, ticksDuringStop } = JSON.parse(stdout) as { report: unknown; ticksDuringStop: number };
    expect(report).toEqual({
      outcome: 'stopped',
      workers: [{ name: 'spin', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: true }],
    });
    // A 10 ms timer through the 1 s stop wait: the spinning thread did not block it (about 100 ticks).
    expect(ticksDuringStop).toBeGreaterThan(20);
  });

  test('out of memory under resourceLimits is a crash, restarted with backoff; the sibling runs on', async () => {
    const recorder = eventRecorder();
    let siblingStarts = 0;
    const group = startGroup(
      [
        { name: 'leaks', work: inThread(fixture('leaks'), { resourceLimits: { maxOldGenerationSizeMb: 32 } }), backoff: { initialMs: 100 } },
        { name: 'sibling', work: ({ signal }) => { siblingStarts += 1; return new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true })); } },
      ],
      { logger: false, installSignals: false, onEvent: recorder.onEvent },
    );
    await recorder.until((event) => event.type === 'worker.crashed' && event.attempt === 2);
    const crashes = recorder.events.filter((event) => event.type === 'worker.crashed');
    expect(crashes.map((event) => event.delayMs)).toEqual([100, 200]);
    for (const crash of crashes) expect(String((crash.error as Error).message)).toMatch(/ran out of memory \(resourceLimits\)/);
    expect(group.status().find((worker) => worker.name === 'sibling')?.state).toBe('running');
    expect(siblingStarts).toBe(1);
    await group.stop();
  });

  test('heartbeats from a thread keep it alive; one that stops beating is hung, and the next attempt resumes from its progress', async () => {
    const recorder = eventRecorder();
    const progress: unknown[] = [];
    const group = startGroup(
      [
        {
          name: 'beats',
          // Attempt 1 beats four times, then goes quiet; attempt 2 beats every 20 ms for good.
          work: (context) => {
            progress.push(context.progress);
            return inThread(fixture('heartbeats'))(context);
          },
          heartbeatTimeoutMs: 1500,
          readyTimeoutMs: 10_000,
          backoff: { initialMs: 50 },
        },
      ],
      { logger: false, installSignals: false, onEvent: recorder.onEvent },
    );
    await recorder.until((event) => event.type === 'worker.started' && event.attempt === 2);
    const hangs = recorder.events.filter((event) => event.type === 'worker.hung');
    expect(hangs).toEqual([{ type: 'worker.hung', name: 'beats', attempt: 1, timeout: 'heartbeat' }]);
    // The quiet attempt's last heartbeat carried { beats: 4 }: the next attempt starts from it.
    expect(progress).toEqual([undefined, { beats: 4 }]);
    // Attempt 2 beats across the boundary: ready, and its last heartbeat keeps moving for more
    // than two heartbeat timeouts without a second hang.
    await until(() => group.status()[0]?.ready === true && group.status()[0]?.lastHeartbeatAt !== undefined, 'ready() and a heartbeat from the thread');
    const firstBeat = group.status()[0]?.lastHeartbeatAt ?? Infinity;
    await until(() => (group.status()[0]?.lastHeartbeatAt ?? 0) > firstBeat + 3200, 'heartbeats past two timeouts');
    expect(recorder.events.filter((event) => event.type === 'worker.hung')).toHaveLength(1);
    expect(group.status()[0]).toMatchObject({ state: 'running', attempts: 2 });
    const report = await group.stop();
    expect(report.workers[0]).toMatchObject({ outcome: 'stopped', attempts: 2, stopTimedOut: false });
  });

  test('a blocked thread never heartbeats: it is declared hung and terminated at stopTimeoutMs', async () => {
    // Linux counts a process's threads in /proc: a terminated worker thread leaves the count.
    const threads = (): number => Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
    const recorder = eventRecorder();
    const group = startGroup(
      [{ name: 'blocked', work: inThread(fixture('spin')), heartbeatTimeoutMs: 500, stopTimeoutMs: 500, backoff: { initialMs: 60_000, maxMs: 60_000 } }],
      { logger: false, installSignals: false, onEvent: recorder.onEvent },
    );
    await recorder.until((event) => event.type === 'worker.started');
    await until(() => group.status()[0]?.state === 'hung', 'the hang');
    const spinning = threads();
    // Hung, then abandoned at stopTimeoutMs: a crash, and the thread is terminated while the
    // worker waits out its backoff.
    await recorder.until((event) => event.type === 'worker.crashed');
    expect(recorder.events.find((event) => event.type === 'worker.hung')).toEqual({ type: 'worker.hung', name: 'blocked', attempt: 1, timeout: 'heartbeat' });
    const crash = recorder.events.find((event) => event.type === 'worker.crashed');
    expect(crash?.type === 'worker.crashed' && crash.error instanceof DOMException && crash.error.name).toBe('TimeoutError');
    expect(group.status()[0]).toMatchObject({ state: 'backoff', abandoned: 1 });
    await until(() => threads() < spinning, 'the blocked thread to be terminated');
    const report = await group.stop();
    expect(report.workers[0]).toMatchObject({ outcome: 'stopped', attempts: 1, abandoned: 1 });
  });

  test('remove() of a thread that ignores its abort terminates it at the stop deadline', async () => {
    const group = startGroup([{ name: 'spin', work: inThread(fixture('spin')), stopTimeoutMs: 500 }], {
      logger: false,
      installSignals: false,
      autoShutdown: 'never',
    });
    await untilSpinning();
    expect(await cpuShare(500)).toBeGreaterThan(0.5); // it does spin
    expect(await group.remove('spin')).toMatchObject({ outcome: 'stopped', stopTimedOut: true });
    expect(await cpuShare(1000)).toBeLessThan(0.5);
    await group.stop();
  });
});

describe('inChildProcess: no child outlives its group', () => {
  test('a command that ignores SIGTERM is SIGKILLed at stopTimeoutMs', async () => {
    const file = pidFile();
    const script = `process.on('SIGTERM', () => {}); require('node:fs').writeFileSync(process.env.PID_FILE, String(process.pid)); setInterval(() => {}, 1000);`;
    const recorder = eventRecorder();
    const group = startGroup(
      [{ name: 'stubborn', work: inChildProcess({ command: process.execPath, args: ['-e', script] }, { env: env(file) }), stopTimeoutMs: 500 }],
      { logger: false, installSignals: false, onEvent: recorder.onEvent },
    );
    const pid = await readPid(file);
    const report = await group.stop();
    expect(report.workers[0]).toMatchObject({ outcome: 'stopped', stopTimedOut: true });
    await until(() => !alive(pid), `process ${pid} to end`);
  });

  test('a command: exit 0 is clean, another exit code is a crash with exitCode, a signal one with signalCode', async () => {
    const clean = await supervise('true', inChildProcess({ command: process.execPath, args: ['-e', ''] }), { logger: false });
    expect(clean).toMatchObject({ outcome: 'done', attempts: 1 });
    const failed = await supervise('exit-2', inChildProcess({ command: process.execPath, args: ['-e', 'process.exit(2)'] }), { logger: false, restart: 'never' });
    expect(failed.lastError).toMatchObject({ exitCode: 2, signalCode: null });
    const killed = await supervise('killed', inChildProcess({ command: process.execPath, args: ['-e', "process.kill(process.pid, 'SIGKILL')"] }), { logger: false, restart: 'never' });
    expect(killed.lastError).toMatchObject({ exitCode: null, signalCode: 'SIGKILL' });
    const missing = await supervise('enoent', inChildProcess({ command: '/nonexistent/command' }), { logger: false, restart: 'never' });
    expect(missing.lastError).toMatchObject({ code: 'ENOENT' });
  });

  test('a graceful stop: the module child settles and exits', async () => {
    const file = pidFile();
    process.env.PID_FILE = file;
    const group = startGroup([{ name: 'module', work: inChildProcess(fixture('pid')) }], { logger: false, installSignals: false });
    const pid = await readPid(file);
    const report = await group.stop();
    expect(report.workers[0]).toMatchObject({ outcome: 'stopped', stopTimedOut: false });
    await until(() => !alive(pid), `process ${pid} to end`);
  });

  test('an escalation stops the children of the group before runGroup rejects', async () => {
    const file = pidFile();
    const script = `process.on('SIGTERM', () => process.exit(0)); require('node:fs').writeFileSync(process.env.PID_FILE, String(process.pid)); setInterval(() => {}, 1000);`;
    const failing = (async () => {
      await readPid(file);
      throw new Error('gives up');
    }) satisfies Work;
    const outcome = runGroup(
      [
        { name: 'child', work: inChildProcess({ command: process.execPath, args: ['-e', script] }, { env: env(file) }) },
        { name: 'failing', work: failing, restart: 'never' },
      ],
      { logger: false, installSignals: false, onGiveUp: 'escalate' },
    );
    await expect(outcome).rejects.toThrow(/worker 'failing' failed/);
    await until(() => !alive(Number(readFileSync(file, 'utf8'))), 'the child to end');
  });

  test('a second SIGTERM exits the parent at once (143) and SIGKILLs its children first', async () => {
    const file = pidFile();
    const run = runFixture('stuck', file);
    const pid = await readPid(file);
    run.child.kill('SIGTERM');
    await until(() => run.output().stdout.includes('stopping'), 'stopping');
    // A repeat within the repeat window is taken for the same keypress: send a real second one.
    await delay(repeatWindowMs + 100);
    run.child.kill('SIGTERM');
    const { code } = await run.exit;
    expect(code).toBe(143);
    await until(() => !alive(pid), `process ${pid} to end`);
  });

  test('a parent killed by SIGKILL leaves no module child: it exits when its IPC channel closes', async () => {
    const file = pidFile();
    const run = runFixture('module', file);
    const pid = await readPid(file);
    expect(alive(pid)).toBe(true);
    run.child.kill('SIGKILL');
    await run.exit;
    await until(() => !alive(pid), `process ${pid} to end`);
  });
});
