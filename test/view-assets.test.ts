import { readFileSync } from 'node:fs';
import type { AnyStateNode } from 'xstate';
import { describe, expect, test } from 'vitest';
import { workerMachine } from '../machines/worker.js';
import { generatedSource, layoutChart } from '../scripts/view-assets.js';

describe('the live view page, built by scripts/view-assets.ts', () => {
  test('the committed page is what the script builds now (run `npm run build:view` after a change)', async () => {
    const committed = readFileSync(new URL('../src/view/page.generated.ts', import.meta.url), 'utf8');
    expect(committed).toBe(await generatedSource());
  });

  test('the chart has every state of the worker machine, and every transition that has a target', async () => {
    const chart = await layoutChart();
    const ids: string[] = [];
    let transitions = 0;
    const visit = (node: AnyStateNode): void => {
      ids.push(node.id);
      for (const list of [...node.transitions.values(), node.always ?? []]) {
        for (const transition of list) if ((transition.target?.length ?? 0) > 0) transitions += 1;
      }
      for (const child of Object.values(node.states)) visit(child);
    };
    visit(workerMachine.root);
    expect(chart.nodes.filter((node) => node.kind !== 'initial').map((node) => node.id).sort()).toEqual(ids.sort());
    // Transitions with the same source, target and event share an edge (their guards joined).
    const labelled = chart.edges.filter((edge) => !edge.source.endsWith('#initial'));
    expect(labelled.reduce((sum, edge) => sum + Math.max(1, edge.label.split('\n').length - 1), 0)).toBe(transitions);
    // Each compound state's initial marker points at its initial child.
    const initials = chart.edges.filter((edge) => edge.source.endsWith('#initial')).map((edge) => [edge.source, edge.target]);
    expect(initials).toContainEqual(['worker#initial', 'worker.attempt']);
    expect(initials).toHaveLength(chart.nodes.filter((node) => node.kind === 'initial').length);
    for (const edge of chart.edges) {
      expect(edge.points.length).toBeGreaterThanOrEqual(2);
      for (const [x, y] of edge.points) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(chart.width);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(chart.height);
      }
    }
    // A node lies inside its parent.
    const byId = new Map(chart.nodes.map((node) => [node.id, node]));
    for (const node of chart.nodes) {
      const parent = node.parent === undefined ? undefined : byId.get(node.parent);
      if (parent === undefined) continue;
      expect(node.x).toBeGreaterThanOrEqual(parent.x);
      expect(node.x + node.width).toBeLessThanOrEqual(parent.x + parent.width + 0.1);
    }
  });

  test('the page loads nothing: no URL in a src or href but an empty data: icon', () => {
    const committed = readFileSync(new URL('../src/view/page.generated.ts', import.meta.url), 'utf8');
    const html = JSON.parse(committed.slice(committed.indexOf('= ') + 2, committed.lastIndexOf(';'))) as string;
    expect([...html.matchAll(/\b(?:src|href)\s*=\s*["']?([^"'\s>]*)/g)].map((match) => match[1])).toEqual(['data:,']);
    expect(html).not.toMatch(/@import|url\((?!#)/);
  });
});
