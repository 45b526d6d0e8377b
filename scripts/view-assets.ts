// Builds the live view's page into src/view/page.generated.ts: the page script
// (src/view/page/main.ts, transpiled), its style sheet, and the worker machine's state chart
// laid out by ELK (elkjs). All of it at build time, so the served page has no dependency and
// loads nothing: `npm run build:view` after changing the page or the worker machine
// (test/view-assets.test.ts fails until the committed file matches).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import elk from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import ts from 'typescript';
import type { AnyStateNode } from 'xstate';
import { workerMachine } from '../machines/worker.js';
import type { ChartEdge, ChartLayout, ChartNode } from '../src/view/protocol.js';

const pageDir = new URL('../src/view/page/', import.meta.url);
const outFile = new URL('../src/view/page.generated.ts', import.meta.url);

// Text is measured by character count, not by a font: the same input lays out the same
// everywhere, and the page draws with a monospace font at these sizes.
const charWidth = 7.2;
const labelCharWidth = 6;
const labelLineHeight = 13;
const round = (value: number | undefined): number => Math.round((value ?? 0) * 10) / 10;

/** A guard as the chart prints it: its name, or `and(a, b)` for XState's combinators. */
function guardName(guard: unknown): string | undefined {
  if (guard === undefined) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && guard !== null && 'type' in guard && typeof guard.type === 'string') return guard.type;
  if (typeof guard === 'function') {
    const inner = (guard as { guards?: unknown }).guards;
    if (Array.isArray(inner)) return `${guard.name}(${inner.map((g) => guardName(g) ?? '?').join(', ')})`;
    return guard.name || 'guard';
  }
  return 'guard';
}

/** An event type as the chart prints it: XState's own events in words. */
function eventLabel(type: string): string {
  if (type === '') return 'always';
  const done = /^xstate\.done\.actor\.(.+)$/.exec(type);
  if (done) return `${done[1]} done`;
  const error = /^xstate\.error\.actor\.(.+)$/.exec(type);
  if (error) return `${error[1]} error`;
  const after = /^xstate\.after\.([^.]+)\./.exec(type);
  if (after) return `after ${after[1]}`;
  return type;
}

/** What the chart reads of a transition. */
interface TransitionLike {
  eventType: string;
  target?: readonly { id: string }[] | undefined;
  guard?: unknown;
}

// elkjs is CommonJS: Node hands its module.exports (the constructor) to a default import,
// while its types describe an ES module whose `default` is the constructor.
const ELK = elk as unknown as typeof elk.default;

/** Every state node of a machine, depth first, parents before children. */
function stateNodes(root: AnyStateNode): AnyStateNode[] {
  const all: AnyStateNode[] = [];
  const visit = (node: AnyStateNode): void => {
    all.push(node);
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(root);
  return all;
}

/** The machine as an ELK graph: state nodes nested as in the machine, one edge per source, target and event. */
export function chartGraph(root: AnyStateNode): ElkNode {
  const edges = new Map<string, { source: string; target: string; event: string; guards: string[] }>();
  const addEdge = (source: string, target: string, event: string, guard: string | undefined): void => {
    const key = JSON.stringify([source, target, event]);
    let edge = edges.get(key);
    if (edge === undefined) edges.set(key, (edge = { source, target, event, guards: [] }));
    edge.guards.push(guard ?? '');
  };

  const toElk = (node: AnyStateNode): ElkNode => {
    const children = Object.values(node.states);
    if (children.length === 0) {
      return { id: node.id, width: Math.max(70, node.key.length * charWidth + 28), height: 34 };
    }
    const kids = children.map(toElk);
    const initial: readonly { id: string }[] = node.initial?.target ?? [];
    if (initial.length > 0) {
      const marker = `${node.id}#initial`;
      kids.unshift({ id: marker, width: 12, height: 12 });
      for (const target of initial) addEdge(marker, target.id, '', undefined);
    }
    return {
      id: node.id,
      labels: [{ text: node.key, width: node.key.length * charWidth, height: 16 }],
      layoutOptions: { 'elk.padding': '[top=34,left=16,bottom=16,right=16]' },
      children: kids,
    };
  };

  for (const node of stateNodes(root)) {
    const transitions = [...node.transitions.values(), node.always ?? []].flat() as readonly TransitionLike[];
    for (const transition of transitions) {
      for (const target of transition.target ?? []) {
        addEdge(node.id, target.id, eventLabel(transition.eventType), guardName(transition.guard));
      }
    }
  }

  // Before the edges are listed: it adds the edges from the initial markers.
  const tree = toElk(root);
  const elkEdges: ElkExtendedEdge[] = [];
  let n = 0;
  for (const edge of edges.values()) {
    // One line for the event, one per guard; an unguarded branch among guarded ones is "else".
    const guarded = edge.guards.some((guard) => guard !== '');
    const lines = edge.source.endsWith('#initial')
      ? []
      : [edge.event, ...(guarded ? edge.guards.map((guard) => `[${guard || 'else'}]`) : [])];
    const text = lines.join('\n');
    elkEdges.push({
      id: `e${n++}`,
      sources: [edge.source],
      targets: [edge.target],
      ...(text === ''
        ? {}
        : {
            labels: [
              { text, width: Math.max(...lines.map((line) => line.length)) * labelCharWidth, height: lines.length * labelLineHeight },
            ],
          }),
    });
  }

  return {
    id: 'chart',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.layered.spacing.nodeNodeBetweenLayers': '46',
      'elk.spacing.nodeNode': '28',
      'elk.spacing.edgeLabel': '4',
      'elk.edgeLabels.placement': 'CENTER',
      'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
      'elk.json.shapeCoords': 'ROOT',
      'elk.json.edgeCoords': 'ROOT',
      'elk.padding': '[top=8,left=8,bottom=8,right=8]',
    },
    children: [tree],
    edges: elkEdges,
  };
}

/** Lays the worker machine out: absolute boxes for its states, routes for its transitions. */
export async function layoutChart(root: AnyStateNode = workerMachine.root): Promise<ChartLayout> {
  const graph = chartGraph(root);
  const laid = await new ELK().layout(graph);
  const byId = new Map(stateNodes(root).map((node) => [node.id, node]));
  const nodes: ChartNode[] = [];
  const visit = (node: ElkNode, parent: string | undefined): void => {
    const state = byId.get(node.id);
    const kind: ChartNode['kind'] = state === undefined ? 'initial' : state.type;
    nodes.push({
      id: node.id,
      key: state?.key ?? '',
      kind,
      ...(parent === undefined ? {} : { parent }),
      x: round(node.x),
      y: round(node.y),
      width: round(node.width),
      height: round(node.height),
    });
    for (const child of node.children ?? []) visit(child, node.id);
  };
  for (const child of laid.children ?? []) visit(child, undefined);

  const edges: ChartEdge[] = (laid.edges ?? []).map((edge) => {
    const sections = edge.sections ?? [];
    const points: [number, number][] = [];
    for (const section of sections) {
      for (const point of [section.startPoint, ...(section.bendPoints ?? []), section.endPoint]) {
        points.push([round(point.x), round(point.y)]);
      }
    }
    const label = edge.labels?.[0];
    return {
      source: edge.sources[0] ?? '',
      target: edge.targets[0] ?? '',
      label: label?.text ?? '',
      points,
      ...(label === undefined
        ? {}
        : { labelBox: { x: round(label.x), y: round(label.y), width: round(label.width), height: round(label.height) } }),
    };
  });
  return { machine: root.id, width: round(laid.width), height: round(laid.height), nodes, edges };
}

/** The page script: main.ts as plain JavaScript (it imports types only). */
export function pageScript(): string {
  const source = readFileSync(new URL('main.ts', pageDir), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, removeComments: false },
    fileName: 'main.ts',
  });
  return outputText;
}

/** JSON safe inside a <script> element. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

/** The whole page: one HTML document with its style, script and chart inline. */
export async function buildPage(): Promise<string> {
  const shell = readFileSync(new URL('index.html', pageDir), 'utf8');
  const style = readFileSync(new URL('style.css', pageDir), 'utf8');
  const script = pageScript();
  if (/<\/script/i.test(script) || /<\/style/i.test(style)) throw new Error('the page script or style closes its element');
  const chart = scriptJson(await layoutChart());
  // Function replacers: a `$` in the inlined text is not a replacement pattern.
  return shell
    .replace('/*STYLE*/', () => style.trim())
    .replace('/*CHART*/', () => chart)
    .replace('/*SCRIPT*/', () => script.trim());
}

/** The text of src/view/page.generated.ts. */
export async function generatedSource(): Promise<string> {
  const html = await buildPage();
  return [
    '// Generated by scripts/view-assets.ts (`npm run build:view`) from src/view/page/ and the',
    '// worker machine. Do not edit: test/view-assets.test.ts checks it is up to date.',
    '',
    '/** The live view\'s page: one self-contained HTML document. */',
    `export const pageHtml = ${JSON.stringify(html)};`,
    '',
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(outFile, await generatedSource());
  console.log(`wrote ${fileURLToPath(outFile)}`);
}
