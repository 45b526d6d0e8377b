// A real Prometheus server scrapes serveGroup: the one place this package's metrics meet the
// scraper they are for. Real processes and real time, with generous bounds.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { serveGroup, startGroup } from '../../src/index.js';
import { aborted } from '../helpers.js';

const available = spawnSync('prometheus', ['--version']).status === 0;
if (!available) console.warn('prometheus not found: the scrape test is skipped (apt-get install prometheus)');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface QueryResult {
  status: string;
  data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

describe('Prometheus', () => {
  test.runIf(available)('scrapes serveGroup and answers xstate_supervisor_crashes_total through its HTTP API', async () => {
    const group = startGroup(
      [
        { name: 'steady', work: ({ signal }) => aborted(signal) },
        { name: 'flaky "one"', work: () => { throw new Error('boom'); }, backoff: { initialMs: 50, maxMs: 50 } },
      ],
      { installSignals: false, logger: false },
    );
    const server = await serveGroup(group);
    const dir = await mkdtemp(join(tmpdir(), 'xstate-supervisor-prometheus-'));
    const port = await freePort();
    const target = new URL(server.url).host;
    await writeFile(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: supervisor\n    static_configs:\n      - targets: ['${target}']\n`,
    );
    const prometheus = spawn(
      'prometheus',
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    prometheus.stderr.setEncoding('utf8').on('data', (chunk: string) => { log += chunk; });
    const exited = new Promise<void>((resolve) => prometheus.on('exit', () => resolve()));
    try {
      const query = encodeURIComponent('xstate_supervisor_crashes_total{worker="flaky \\"one\\""}');
      let crashes = 0;
      let steady: QueryResult | undefined;
      // Waits on Prometheus itself: until it has scraped twice and answers (generous bound).
      for (let tries = 0; tries < 90 && crashes < 2; tries += 1) {
        await delay(500);
        try {
          const answer = (await (await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${query}`)).json()) as QueryResult;
          crashes = Number(answer.data.result[0]?.value[1] ?? 0);
          steady = (await (
            await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent('xstate_supervisor_worker_state{worker="steady",state="running"}')}`)
          ).json()) as QueryResult;
        } catch {
          // Not listening yet.
        }
      }
      expect(crashes, log).toBeGreaterThanOrEqual(2);
      expect(steady?.data.result[0]?.metric).toMatchObject({ job: 'supervisor', worker: 'steady', state: 'running' });
      expect(steady?.data.result[0]?.value[1]).toBe('1');
      const up = (await (await fetch(`http://127.0.0.1:${port}/api/v1/query?query=up`)).json()) as QueryResult;
      expect(up.data.result[0]?.value[1]).toBe('1');
    } finally {
      prometheus.kill('SIGTERM');
      await exited;
      await group.stop();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
