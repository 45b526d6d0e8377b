// Real child processes and real signals: the one place where tests wait on real time,
// with generous bounds.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const fixture = fileURLToPath(new URL('../fixtures/signal-group.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

function run(mode: 'graceful' | 'stuck') {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, mode], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ line: string; resolve: () => void; reject: (error: Error) => void }> = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const waiter of [...waiters]) {
      if (stdout.split('\n').includes(waiter.line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      for (const waiter of waiters.splice(0)) {
        waiter.reject(new Error(`exited (${code ?? signal}) before printing ${waiter.line}: ${stdout}${stderr}`));
      }
      resolve({ code, signal });
    });
  });
  return {
    child,
    exit,
    output: () => ({ stdout, stderr }),
    line: (line: string) =>
      stdout.split('\n').includes(line)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => waiters.push({ line, resolve, reject })),
  };
}

describe('process signals', () => {
  test.each(['SIGTERM', 'SIGINT'] as const)('%s stops the group gracefully: cleanup runs, then exit 0', async (signal) => {
    const proc = run('graceful');
    await proc.line('ready');
    proc.child.kill(signal);
    const { code } = await proc.exit;
    const { stdout, stderr } = proc.output();
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines.slice(0, 2)).toEqual(['ready', 'stopping']);
    expect(lines.slice(2, 4).sort()).toEqual(['cleanup a', 'cleanup b']);
    const report: unknown = JSON.parse(lines[4]?.replace(/^report /, '') ?? 'null');
    expect(report).toEqual({
      outcome: 'stopped',
      workers: [
        { name: 'a', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false },
        { name: 'b', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false },
      ],
    });
    // The handlers are gone once runGroup settled.
    expect(lines[5]).toBe('listeners 0 0');
  });

  test.each(['SIGINT', 'SIGTERM'] as const)('the same %s twice within 150 ms (a launcher forwarding it) is one signal: a graceful stop, exit 0', async (signal) => {
    const proc = run('graceful');
    await proc.line('ready');
    proc.child.kill(signal);
    // tsx forwards a terminal's SIGINT and sends it again ~30 ms later.
    await new Promise((resolve) => setTimeout(resolve, 20));
    proc.child.kill(signal);
    const { code } = await proc.exit;
    const { stdout, stderr } = proc.output();
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('cleanup a');
    expect(stdout).toContain('"outcome":"stopped"');
  });

  test.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('a second %s while stopping exits at once with %i', async (signal, expected) => {
    const proc = run('stuck');
    await proc.line('ready');
    proc.child.kill(signal);
    await proc.line('stopping');
    // A person's second signal: later than the 150 ms in which a repeat counts as the first.
    await new Promise((resolve) => setTimeout(resolve, 400));
    proc.child.kill(signal);
    const { code } = await proc.exit;
    expect(code).toBe(expected);
    expect(proc.output().stdout).not.toContain('report');
  });
});
