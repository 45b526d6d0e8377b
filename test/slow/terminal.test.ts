// watchStatus in a real terminal: a tmux pane of 80x24 runs test/fixtures/status-view.ts (a
// group taller and wider than the pane, with other output on stdout and stderr while the
// table is live), and the pane's screen is read with capture-pane.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const session = `xstate-supervisor-view-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });

afterAll(() => {
  spawnSync('tmux', ['kill-session', '-t', session]);
});

test('in an 80x24 tmux pane: the header once, no line wider than the pane, the other output above the table', async () => {
  tmux(
    'new-session', '-d', '-s', session, '-x', '80', '-y', '24', '-c', root,
    // The pane stays open after the program so its screen can be read.
    `node --import tsx test/fixtures/status-view.ts; echo "EXIT=$?"; sleep 600`,
  );
  let screen = '';
  for (let waited = 0; waited < 60_000; waited += 250) {
    screen = tmux('capture-pane', '-p', '-t', session);
    if (screen.includes('EXIT=')) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const history = tmux('capture-pane', '-p', '-S', '-200', '-t', session);
  const lines = history.split('\n');
  expect(screen).toContain('EXIT=0');
  // One table on screen and in the whole history: no piles of headers from wrapped rows.
  expect(lines.filter((line) => line.startsWith('WORKER')).length).toBe(1);
  expect(lines.filter((line) => /^\d+ workers: /.test(line)).length).toBe(1);
  // The last drawing: the summary, the failing worker first, within the pane.
  const summary = lines.findIndex((line) => /^\d+ workers: /.test(line));
  expect(lines[summary]).toBe('42 workers: 1 failed, 41 stopped');
  expect(lines[summary + 2]).toMatch(/^crasher +failed +1 +0 +…$/); // the long name widens the first column
  // Every other line came through whole, above the table.
  for (let line = 1; line <= 5; line++) {
    expect(history).toContain(`stdout line ${line}`);
    expect(history).toContain(`stderr line ${line}`);
    expect(lines.findIndex((text) => text.startsWith(`stdout line ${line}`))).toBeLessThan(summary);
  }
  // Rows were cut, not wrapped: no table row continues on the next line.
  const table = lines.slice(summary, lines.findIndex((line) => line.startsWith('DONE')));
  expect(table.every((line) => line.length <= 80)).toBe(true);
  expect(table.some((line) => line.endsWith('…'))).toBe(true);
}, 90_000);
