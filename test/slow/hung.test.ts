// A real process: a worker stuck on a promise that never settles is declared hung and
// restarted while its sibling keeps working, and SIGTERM still ends the process with 0.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const fixture = fileURLToPath(new URL('../fixtures/hung-group.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

test('a never-settling attempt is hung and restarted, its sibling keeps working, SIGTERM exits 0', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const siblingTicking = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('sibling ticking\n')) resolve();
    });
    child.on('exit', () => reject(new Error(`exited early: ${stdout}${stderr}`)));
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await siblingTicking;
  child.kill('SIGTERM');
  expect(await exit).toBe(0);
  expect(stderr).toBe('');
  const lines = stdout.trim().split('\n');
  expect(lines.slice(0, 3)).toEqual(['hung stuck 1 heartbeat', 'restarted stuck', 'sibling ticking']);
  const report = JSON.parse(lines.at(-1)?.replace(/^report /, '') ?? 'null') as {
    outcome: string;
    workers: Array<Record<string, unknown>>;
  };
  expect(report.outcome).toBe('stopped');
  // The first attempt ignored its abort: abandoned. The second one ignores STOP as well.
  expect(report.workers[0]).toMatchObject({ name: 'stuck', outcome: 'stopped', abandoned: 1, stopTimedOut: true, lastError: {} });
  expect(report.workers[1]).toEqual({ name: 'sibling', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false });
}, 30_000);
