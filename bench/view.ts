// `npm run bench:view`: the live view with 1,000 workers, 100 of them crash-looping, in
// Debian's Chromium. Prints one JSON line: the time to first render (navigation to all rows
// drawn), the page's cost per update (its render, from `performance.measure('view.render')`),
// and the server's cost per push (status() read, diffed and serialized), over `seconds`.
// A benchmark, not a test: run it on a quiet machine. Usage: bench/view.ts [workers] [seconds]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { startGroup, type WorkerSpec } from '../src/index.js';
import { ViewState } from '../src/view/state.js';
import { serveView } from '../test/view-server.js';

const workers = Number(process.argv[2] ?? 1000);
const seconds = Number(process.argv[3] ?? 10);

const specs: WorkerSpec[] = Array.from({ length: workers }, (_, i) => ({
  name: `worker-${String(i).padStart(4, '0')}`,
  work:
    i % 10 === 0
      ? async ({ signal }) => {
          await sleep(20, undefined, { signal });
          throw new Error('flaky dependency');
        }
      : ({ signal }) => new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true })),
  backoff: { initialMs: 50, maxMs: 200 },
}));
const group = startGroup(specs, { logger: false, installSignals: false });

// The server's side alone: one push = status() + diff + JSON, with every tenth worker changed.
const state = new ViewState();
state.update(group.status(), 'running');
const serverRuns = 50;
let serverMs = 0;
for (let run = 0; run < serverRuns; run++) {
  await sleep(100);
  const start = performance.now();
  const delta = state.update(group.status(), 'running');
  JSON.stringify(delta);
  serverMs += performance.now() - start;
}

const served = await serveView(group);
const profile = mkdtempSync(join(tmpdir(), 'view-bench-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1500, height: 1000 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  const start = performance.now();
  await page.goto(served.url);
  await page.locator(`body[data-workers="${workers}"]`).waitFor({ timeout: 60_000 });
  const firstRenderMs = performance.now() - start;
  await page.evaluate(() => performance.clearMeasures('view.render'));
  await sleep(seconds * 1000);
  const renders = await page.evaluate(() => performance.getEntriesByName('view.render').map((entry) => entry.duration));
  renders.sort((a, b) => a - b);
  const mean = renders.reduce((sum, ms) => sum + ms, 0) / Math.max(1, renders.length);
  console.log(JSON.stringify({
    scenario: 'live-view',
    workers,
    crash_looping: Math.ceil(workers / 10),
    first_render_ms: Math.round(firstRenderMs),
    renders_per_s: +(renders.length / seconds).toFixed(1),
    render_ms_mean: +mean.toFixed(2),
    render_ms_p95: +(renders[Math.floor(renders.length * 0.95)] ?? NaN).toFixed(2),
    server_push_ms_mean: +(serverMs / serverRuns).toFixed(2),
  }));
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
  await served.close();
  await group.stop();
}
