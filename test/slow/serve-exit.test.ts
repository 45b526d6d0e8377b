// Real child processes: the server must neither keep a process alive once its group has
// ended nor swallow the rejection of an escalation the program leaves unhandled.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const fixture = fileURLToPath(new URL('../fixtures/serve-exit.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

function run(mode: 'done' | 'escalate') {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, mode], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  // Generous: a process that hangs is killed by the test timeout and fails the test.
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
}

test('a process serving its group exits on its own once the group is done, keep-alive connection and all', async () => {
  const { code, stdout, stderr } = await run('done');
  expect([stdout, stderr]).toEqual(['livez 200\n', '']);
  expect(code).toBe(0);
});

test('an escalation left unhandled still fails the process: serveGroup does not handle done', async () => {
  const { code, stdout, stderr } = await run('escalate');
  expect(stdout).toBe('livez 200\n');
  expect(stderr).toContain("worker 'job' failed after 1 attempt: Error: gave up");
  expect(code).toBe(1);
});
