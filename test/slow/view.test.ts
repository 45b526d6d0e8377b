import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startGroup, type GroupHandle, type Work, type WorkerSpec } from '../../src/index.js';
import { aborted, deferred } from '../helpers.js';
import { serveView } from '../view-server.js';

// A real headless Chromium (Debian's `chromium`, installed by .ci/run) driven by playwright-core.
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const missing = !existsSync(executablePath);
if (missing) console.warn(`live view browser tests skipped: no Chromium at ${executablePath} (apt-get install chromium)`);

const screenshot = new URL('../../docs/live-view.png', import.meta.url);

/** Work that runs until it is stopped. */
const steady: Work = ({ signal }) => aborted(signal);
/** Work that crashes after `ms`. */
const crashesAfter = (ms: number, message: string): Work => async ({ signal }) => {
  await sleep(ms, undefined, { signal });
  throw new Error(message);
};

/** One attribute of every element a locator matches, in document order. */
async function attributes(locator: Locator, name: string): Promise<Array<string | null>> {
  return Promise.all((await locator.all()).map((element) => element.getAttribute(name)));
}

describe.skipIf(missing)('the live view in Chromium', () => {
  let browser: BrowserContext;
  let profile: string;
  const groups: GroupHandle[] = [];
  const closers: Array<() => Promise<void>> = [];
  let requests: string[] = [];
  let visited = false;

  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), 'view-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      viewport: { width: 1500, height: 1000 },
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await Promise.all(groups.splice(0).map((group) => group.stop()));
    // No request left 127.0.0.1: the page loads nothing from anywhere else.
    if (visited) expect(requests).toContainEqual(expect.stringMatching(/\/events$/));
    visited = false;
    for (const url of requests) expect(url.startsWith('data:') || new URL(url).hostname === '127.0.0.1', url).toBe(true);
    requests = [];
  });

  async function open(specs: WorkerSpec[]): Promise<{ group: GroupHandle; page: Page; url: string }> {
    const group = startGroup(specs, { logger: false, installSignals: false });
    groups.push(group);
    const served = await serveView(group);
    closers.push(served.close);
    return { group, url: served.url, page: await visit(served.url) };
  }

  async function visit(url: string): Promise<Page> {
    const page = await browser.newPage();
    closers.unshift(() => page.close());
    page.on('request', (request) => requests.push(request.url()));
    visited = true;
    page.on('pageerror', (error) => {
      throw error;
    });
    await page.goto(url);
    return page;
  }

  test('renders every worker with its state', async () => {
    const { page } = await open([
      { name: 'steady', work: steady },
      { name: 'migration', work: () => undefined },
      { name: 'once', restart: 'never', work: () => Promise.reject(new TypeError('bad config')) },
    ]);
    await page.locator('tr[data-name="steady"][data-state="running"]').waitFor();
    await page.locator('tr[data-name="migration"][data-state="done"]').waitFor();
    const failed = page.locator('tr[data-name="once"][data-state="failed"]');
    await failed.waitFor();
    expect(await failed.locator('td.error').textContent()).toBe('TypeError: bad config');
    expect(await page.locator('#rows tr').count()).toBe(3);
    // The worker that needs attention comes first.
    expect(await page.locator('#rows tr').first().getAttribute('data-name')).toBe('once');
  });

  test('a crash shows up within a second', async () => {
    const crash = deferred();
    const { page } = await open([
      { name: 'consumer', work: () => crash.promise, backoff: { initialMs: 60_000, maxMs: 60_000 } },
      { name: 'steady', work: steady },
    ]);
    await page.locator('tr[data-name="consumer"][data-state="running"]').waitFor();
    crash.reject(new Error('connection reset'));
    // Coalescing holds a push for at most 100 ms; the bound leaves room for a loaded machine.
    const row = page.locator('tr[data-name="consumer"][data-state="backoff"]');
    await row.waitFor({ timeout: 3000 });
    expect(await row.locator('td.error').textContent()).toBe('Error: connection reset');
    expect(await row.locator('td.countdown').textContent()).toMatch(/^in \d+ s$/);
  });

  test('a page opened after the crash shows the whole group, with what happened before', async () => {
    const group = startGroup(
      [
        { name: 'flaky', work: crashesAfter(0, 'upstream timed out'), backoff: { initialMs: 60_000, maxMs: 60_000 } },
        { name: 'once', restart: 'never', work: () => Promise.reject(new RangeError('no such shard')) },
        { name: 'migration', work: () => undefined },
        { name: 'steady', work: steady },
      ],
      { logger: false, installSignals: false },
    );
    groups.push(group);
    const served = await serveView(group);
    closers.push(served.close);
    // Everything happens before any page connects.
    await new Promise<void>((resolve) => {
      const check = () => {
        const states = group.status().map((status) => status.state).join();
        if (states === 'backoff,failed,done,running') resolve();
        else setTimeout(check, 10);
      };
      check();
    });
    const page = await visit(served.url);
    await page.locator('body[data-workers="4"]').waitFor();
    for (const [name, state] of [['flaky', 'backoff'], ['once', 'failed'], ['migration', 'done'], ['steady', 'running']]) {
      await page.locator(`tr[data-name="${name}"][data-state="${state}"]`).waitFor();
    }
    // flaky's timeline holds where it was when the view started, and its crash.
    expect(await page.locator('tr[data-name="flaky"] .dot').count()).toBe(2);
    await page.locator('tr[data-name="flaky"]').click();
    await expect.poll(() => page.locator('#timeline li').allTextContents()).toEqual([
      expect.stringContaining('crashed: Error: upstream timed out; restart in 60000 ms'),
      expect.stringContaining('running (attempt 1) when the view started'),
    ]);
  });

  test('selecting a worker lights its current state in the chart', async () => {
    const { page } = await open([
      { name: 'flaky', work: crashesAfter(0, 'boom'), backoff: { initialMs: 60_000, maxMs: 60_000 } },
      { name: 'steady', work: steady },
    ]);
    await page.locator('tr[data-name="flaky"][data-state="backoff"]').click();
    await page.locator('#chart g.node.current[data-state-id="worker.backoff"]').waitFor();
    await page.locator('tr[data-name="steady"]').click();
    await page.locator('#chart g.node.current[data-state-id="worker.attempt.running"]').waitFor();
    // Its ancestors are lit too; nothing else is current.
    expect(await attributes(page.locator('#chart g.node.lit'), 'data-state-id')).toEqual(['worker', 'worker.attempt', 'worker.attempt.running']);
    expect(await page.locator('#chart g.node.current').count()).toBe(1);
  });

  test('shows the actor tree on demand', async () => {
    const { page } = await open([{ name: 'steady', work: steady }, { name: 'poller', work: steady }]);
    await page.locator('tr[data-name="poller"]').waitFor();
    await page.locator('#tree-button').click();
    const tree = page.locator('#tree');
    await expect.poll(() => tree.textContent()).toContain('“poller”');
    expect(await tree.textContent()).toContain('group');
  });

  test('1,000 workers render, filter and sort', async () => {
    const specs: WorkerSpec[] = Array.from({ length: 1000 }, (_, i) => ({
      name: `worker-${String(i).padStart(4, '0')}`,
      // Every tenth one crash-loops.
      work: i % 10 === 0 ? crashesAfter(20, 'flaky dependency') : steady,
      backoff: { initialMs: 50, maxMs: 200 },
    }));
    const { page } = await open(specs);
    await page.locator('body[data-workers="1000"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('#rows tr').count()).toBe(200);
    expect(await page.locator('#more').textContent()).toBe('800 more — narrow the filter to see them');
    await page.locator('#filter').fill('worker-0999');
    await expect.poll(() => page.locator('#rows tr').count()).toBe(1);
    await page.locator('#filter').fill('');
    await page.locator('#state').selectOption('running');
    await expect.poll(async () => new Set(await attributes(page.locator('#rows tr'), 'data-state'))).toEqual(new Set(['running']));
    await page.locator('#state').selectOption('');
    // The crash-looping ones (in backoff or running) keep updating; the page stays current.
    await page.locator('tr[data-name="worker-0000"] .dot:nth-child(5)').waitFor({ timeout: 20_000 });
  });

  test('a picture of the page for the README (docs/live-view.png)', async () => {
    const { page, group } = await open([
      { name: 'flaky', work: crashesAfter(300, 'upstream timed out'), backoff: { initialMs: 1500, maxMs: 8000 } },
      { name: 'steady', work: steady },
      { name: 'migration', work: async ({ signal }) => sleep(200, undefined, { signal }) },
      { name: 'billing-sync', restart: 'never', work: () => Promise.reject(new Error('401 Unauthorized')) },
      ...['orders', 'emails', 'webhooks', 'search-index'].map((name) => ({ name: `${name}-consumer`, work: steady })),
      { name: 'cache-warmer', work: crashesAfter(900, 'ECONNREFUSED 10.0.0.7:6379'), backoff: { initialMs: 5000 } },
    ]);
    await page.locator('tr[data-name="flaky"] .dot:nth-child(4)').waitFor({ timeout: 20_000 });
    await page.locator('tr[data-name="cache-warmer"][data-state="backoff"]').waitFor();
    await page.locator('tr[data-name="flaky"][data-state="backoff"]').click();
    await page.locator('#chart g.node.current').waitFor();
    await page.screenshot({ path: screenshot.pathname });
    expect(group.status()).toHaveLength(9);
  });
});
