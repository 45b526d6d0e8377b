import type { GroupHandle } from '../src/group.js';
import { serveGroup } from '../src/serve.js';

/**
 * The live view as users get it: `serveGroup` on 127.0.0.1 and a free port, its page at `/`.
 * Resolves with the page's URL and a close function.
 */
export async function serveView(group: GroupHandle): Promise<{ url: string; close: () => Promise<void> }> {
  const server = await serveGroup(group);
  return { url: `${server.url}/`, close: () => server.close() };
}
