import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GroupHandle } from '../src/group.js';
import { createLiveView } from '../src/view/live-view.js';

/**
 * The live view on a tiny `node:http` server on 127.0.0.1, as `serveGroup` mounts it (its
 * wiring is this one `handle` call). Resolves with the page's URL and a close function.
 */
export async function serveView(group: GroupHandle): Promise<{ url: string; close: () => Promise<void> }> {
  const view = createLiveView(group);
  const server = createServer((req, res) => {
    if (!view.handle(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      view.close();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
