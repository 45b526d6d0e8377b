// A real child process: the server must not keep it alive once the group has finished.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const fixture = fileURLToPath(new URL('../fixtures/serve-exit.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

test('a process serving its group exits on its own once the group is done, keep-alive connection and all', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { output += chunk; });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { output += chunk; });
  // Generous: a process that hangs is killed by the test timeout and fails the test.
  const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  expect(output).toBe('livez 200\n');
  expect(code).toBe(0);
});
