import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const sources = ['machines', 'src'].flatMap((folder) =>
  readdirSync(join(root, folder)).filter((file) => file.endsWith('.ts')).map((file) => join(folder, file)),
);

describe('supply chain', () => {
  test('xstate is a peer; the only runtime dependencies are the terminal view\'s', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
    // watchStatus draws on a terminal with log-update (wrapping, in-place redraws) and
    // measures text in terminal cells with string-width / cli-truncate. Nothing else.
    expect(Object.keys(manifest.dependencies ?? {}).sort()).toEqual(['cli-truncate', 'log-update', 'string-width']);
    expect(manifest.peerDependencies).toEqual({ xstate: '^5.33.3' });
  });

  test('no eval, no Function constructor, no dynamic import in the shipped sources', () => {
    expect(sources.length).toBeGreaterThan(5);
    // inThread/inChildProcess load the module the user names (and tsx's loader in a thread):
    // dynamic import there, and only there.
    const loaders = ['src/boundary.ts', 'src/thread.ts'];
    for (const file of sources) {
      const text = readFileSync(join(root, file), 'utf8');
      expect(text, file).not.toMatch(/\beval\s*\(|new\s+Function\s*\(|\bFunction\s*\(/);
      if (!loaders.includes(file)) expect(text, file).not.toMatch(/\bimport\s*\(/);
    }
  });
});
