// The live view's page script. Runs in the browser: typechecked under ./tsconfig.json (DOM
// library), transpiled and inlined into the page by scripts/view-assets.ts. It loads nothing
// and talks only to the server that served it (`events` over SSE, `tree` on demand).
import type {
  ChartLayout,
  ChartNode,
  DeltaMessage,
  SnapshotMessage,
  TimelineEntry,
  TreeNode,
  WorkerRow,
} from '../protocol.js';

/** At most this many rows are in the table; the rest are counted ("N more"). */
const maxRows = 200;
/** Dots of recent transitions per row (the detail panel shows the whole ring). */
const rowDots = 12;
/** Each worker's ring on the page, as on the server (src/view/state.ts). */
const ringSize = 30;
/** Who needs attention first: lower sorts earlier; states the page does not know come after running. */
const priority: Record<string, number> = { failed: 0, hung: 1, backoff: 2, stopping: 3, running: 4, done: 6, stopped: 7 };
const knownStates = ['failed', 'hung', 'backoff', 'stopping', 'running', 'done', 'stopped'];
const svgNs = 'http://www.w3.org/2000/svg';

const byId = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing from the page`);
  return element as T;
};

const ui = {
  group: byId('group'),
  connection: byId('connection'),
  summary: byId('summary'),
  filter: byId<HTMLInputElement>('filter'),
  state: byId<HTMLSelectElement>('state'),
  count: byId('count'),
  rows: byId('rows'),
  more: byId('more'),
  selected: byId('selected'),
  selectedState: byId('selected-state'),
  chart: byId('chart'),
  timeline: byId('timeline'),
  treeButton: byId<HTMLButtonElement>('tree-button'),
  tree: byId('tree'),
};

const chart = JSON.parse(byId('chart-data').textContent ?? '{}') as ChartLayout;

// What the server said, as it said it: the page only draws it.
const workers = new Map<string, WorkerRow>();
const timelines = new Map<string, TimelineEntry[]>();
let groupState = 'connecting…';
/** Server clock minus ours, so countdowns use the server's `nextAttemptAt`. */
let skew = 0;
let selected: string | undefined;
let drawPending = false;

const serverNow = (): number => Date.now() + skew;

function element<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
}

function stateBadge(state: string): HTMLSpanElement {
  const badge = element('span', state, 'state');
  badge.dataset.state = state;
  return badge;
}

/** "in 2.4 s", "3 s ago": from a server timestamp. */
function relative(at: number): string {
  const ms = at - serverNow();
  const seconds = Math.abs(ms) / 1000;
  const amount = seconds < 10 ? seconds.toFixed(1) : seconds < 120 ? seconds.toFixed(0) : `${(seconds / 60).toFixed(0)} min`;
  const unit = seconds < 120 ? ' s' : '';
  return ms >= 0 ? `in ${amount}${unit}` : `${amount}${unit} ago`;
}

// By hand: toLocaleTimeString costs tens of µs, and a draw formats thousands of these.
const two = (n: number): string => (n < 10 ? `0${n}` : String(n));
const clock = (at: number): string => {
  const date = new Date(at);
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
};

/** Each worker's row as last drawn, rebuilt only when its data or selection changed. */
const drawn = new Map<string, { version: number; selected: boolean; tr: HTMLTableRowElement }>();
/** Bumped whenever a worker's row or timeline changes. */
const versions = new Map<string, number>();
let version = 0;
const touch = (name: string): void => {
  versions.set(name, ++version);
};

function appendEntries(name: string, entries: readonly TimelineEntry[]): void {
  let ring = timelines.get(name);
  if (ring === undefined) timelines.set(name, (ring = []));
  const last = ring.at(-1)?.seq ?? 0;
  // A delta may repeat what a snapshot already held: keep each seq once.
  for (const entry of entries) if (entry.seq > last) ring.push(entry);
  if (ring.length > ringSize) ring.splice(0, ring.length - ringSize);
}

function applySnapshot(message: SnapshotMessage): void {
  skew = message.now - Date.now();
  groupState = message.group;
  workers.clear();
  timelines.clear();
  drawn.clear();
  message.workers.forEach((row, index) => {
    workers.set(row.name, row);
    touch(row.name);
    appendEntries(row.name, message.timelines[index] ?? []);
  });
  scheduleDraw();
}

function applyDelta(message: DeltaMessage): void {
  skew = message.now - Date.now();
  groupState = message.group;
  for (const name of message.remove) {
    workers.delete(name);
    timelines.delete(name);
    drawn.delete(name);
    versions.delete(name);
  }
  for (const row of message.upsert) {
    workers.set(row.name, row);
    touch(row.name);
  }
  for (const [name, entries] of message.append) {
    appendEntries(name, entries);
    touch(name);
  }
  scheduleDraw();
}

/** Draws at most once per frame, however many messages arrive. */
function scheduleDraw(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    draw();
  });
}

function matches(row: WorkerRow, text: string, state: string): boolean {
  return (state === '' || row.state === state) && (text === '' || row.name.toLowerCase().includes(text));
}

function draw(): void {
  const start = performance.now();
  ui.group.textContent = `group: ${groupState}`;
  drawSummary();
  drawRows();
  drawDetail();
  performance.measure('view.render', { start, end: performance.now() });
  document.body.dataset.workers = String(workers.size);
}

function drawSummary(): void {
  const counts = new Map<string, number>();
  for (const row of workers.values()) counts.set(row.state, (counts.get(row.state) ?? 0) + 1);
  const states = [...counts.keys()].sort((a, b) => (priority[a] ?? 5) - (priority[b] ?? 5) || a.localeCompare(b));
  const fragment = document.createDocumentFragment();
  const total = element('button', undefined);
  total.type = 'button';
  total.append(element('b', String(workers.size)), ' workers');
  total.setAttribute('aria-pressed', String(ui.state.value === ''));
  total.addEventListener('click', () => setStateFilter(''));
  fragment.append(total);
  for (const state of states) {
    const button = element('button', undefined);
    button.type = 'button';
    button.dataset.state = state;
    button.append(element('b', String(counts.get(state) ?? 0)), ` ${state}`);
    button.setAttribute('aria-pressed', String(ui.state.value === state));
    button.addEventListener('click', () => setStateFilter(ui.state.value === state ? '' : state));
    fragment.append(button);
  }
  ui.summary.replaceChildren(fragment);
  // The state filter offers every known state and any other the server reported.
  const options = new Set([...knownStates, ...states]);
  if (ui.state.options.length !== options.size + 1) {
    const current = ui.state.value;
    const all = element('option', 'all states');
    all.value = '';
    ui.state.replaceChildren(all, ...[...options].map((state) => {
      const option = element('option', state);
      option.value = state;
      return option;
    }));
    ui.state.value = current;
  }
}

function setStateFilter(state: string): void {
  ui.state.value = state;
  scheduleDraw();
}

function drawRows(): void {
  const text = ui.filter.value.trim().toLowerCase();
  const state = ui.state.value;
  const shown: WorkerRow[] = [];
  for (const row of workers.values()) if (matches(row, text, state)) shown.push(row);
  shown.sort((a, b) => (priority[a.state] ?? 5) - (priority[b.state] ?? 5) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const rows: HTMLTableRowElement[] = [];
  for (const row of shown.slice(0, maxRows)) {
    const current = versions.get(row.name) ?? 0;
    const isSelected = row.name === selected;
    let cached = drawn.get(row.name);
    if (cached === undefined || cached.version !== current || cached.selected !== isSelected) {
      cached = { version: current, selected: isSelected, tr: rowElement(row) };
      drawn.set(row.name, cached);
    }
    rows.push(cached.tr);
  }
  ui.rows.replaceChildren(...rows);
  const hidden = shown.length - Math.min(shown.length, maxRows);
  ui.more.textContent = hidden > 0 ? `${hidden} more — narrow the filter to see them` : '';
  ui.count.textContent = shown.length === workers.size ? '' : `${shown.length} of ${workers.size} match`;
}

function rowElement(row: WorkerRow): HTMLTableRowElement {
  const tr = element('tr');
  tr.dataset.name = row.name;
  tr.dataset.state = row.state;
  tr.setAttribute('aria-selected', String(row.name === selected));
  tr.addEventListener('click', () => select(row.name));
  const name = element('td', row.name, 'name');
  name.title = row.name;
  const state = element('td');
  state.append(stateBadge(row.state));
  const next = element('td', '', 'countdown');
  if (row.nextAttemptAt !== undefined) {
    next.dataset.at = String(row.nextAttemptAt);
    next.textContent = relative(row.nextAttemptAt);
  }
  const ready = element('td', row.ready === undefined ? '' : row.ready ? 'ready' : 'not ready');
  const heartbeat = element('td', '', 'age');
  if (row.lastHeartbeatAt !== undefined) {
    heartbeat.dataset.at = String(row.lastHeartbeatAt);
    heartbeat.textContent = relative(row.lastHeartbeatAt);
  }
  const error = element('td', row.lastError ?? '', 'error');
  if (row.lastError !== undefined) error.title = row.lastError;
  const dots = element('td');
  for (const entry of (timelines.get(row.name) ?? []).slice(-rowDots)) {
    const dot = element('span', undefined, 'dot');
    dot.dataset.state = entry.state;
    dot.title = `${clock(entry.at)} ${entry.text}`;
    dots.append(dot);
  }
  tr.append(name, state, element('td', `${row.attempts} / ${row.restarts}`), next, ready, heartbeat, error, dots);
  return tr;
}

function select(name: string): void {
  selected = name;
  scheduleDraw();
}

/** The chart node a status state lights: the shallowest state node of that name. */
function chartNodeFor(state: string): ChartNode | undefined {
  let best: ChartNode | undefined;
  for (const node of chart.nodes) {
    if (node.kind === 'initial' || node.key !== state) continue;
    if (best === undefined || node.id.split('.').length < best.id.split('.').length) best = node;
  }
  return best;
}

function drawDetail(): void {
  const row = selected === undefined ? undefined : workers.get(selected);
  if (row === undefined) {
    ui.selected.textContent = selected === undefined ? 'Select a worker' : `${selected} (no longer in the group)`;
    ui.selectedState.textContent = 'Its current state lights up in the worker machine\'s chart.';
    drawChart(undefined);
    ui.timeline.replaceChildren();
    return;
  }
  ui.selected.textContent = row.name;
  const current = chartNodeFor(row.state);
  const parts = [`state: ${row.state}`, `attempts: ${row.attempts}`, `restarts: ${row.restarts}`];
  if (row.ready !== undefined) parts.push(row.ready ? 'ready' : 'not ready');
  if (current === undefined) parts.push(`(no "${row.state}" state in this chart)`);
  ui.selectedState.textContent = parts.join(' · ');
  drawChart(current);
  const items = (timelines.get(row.name) ?? []).slice().reverse().map((entry) => {
    const li = element('li');
    const dot = element('span', undefined, 'dot');
    dot.dataset.state = entry.state;
    li.append(dot, `${clock(entry.at)}  ${entry.text}`);
    return li;
  });
  ui.timeline.replaceChildren(...items);
}

let chartDrawn: { svg: SVGSVGElement; nodes: Map<string, SVGGElement>; edges: { from: string; group: SVGGElement }[] } | undefined;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>): SVGElementTagNameMap[K] {
  const node = document.createElementNS(svgNs, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}

/** Builds the chart's SVG once from the layout; later draws only move the lit classes. */
function buildChart(): NonNullable<typeof chartDrawn> {
  const root = svg('svg', { viewBox: `0 0 ${chart.width} ${chart.height}`, role: 'img', 'aria-label': `${chart.machine} machine` });
  const defs = svg('defs', {});
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#8c959f' }));
  defs.append(marker);
  root.append(defs);
  const nodes = new Map<string, SVGGElement>();
  for (const node of chart.nodes) {
    const group = svg('g', { class: `node ${node.kind}` });
    group.dataset.stateId = node.id;
    const radius = node.kind === 'initial' ? node.width / 2 : 6;
    group.append(svg('rect', { x: node.x, y: node.y, width: node.width, height: node.height, rx: radius, ry: radius }));
    if (node.key !== '') {
      const compound = node.kind === 'compound' || node.kind === 'parallel';
      const label = svg('text', compound
        ? { x: node.x + 10, y: node.y + 20 }
        : { x: node.x + node.width / 2, y: node.y + node.height / 2 + 4, 'text-anchor': 'middle' });
      label.textContent = node.key;
      group.append(label);
    }
    nodes.set(node.id, group);
    root.append(group);
  }
  const edges: { from: string; group: SVGGElement }[] = [];
  for (const edge of chart.edges) {
    const group = svg('g', { class: 'edge' });
    const d = edge.points.map(([x, y], index) => `${index === 0 ? 'M' : 'L'} ${x} ${y}`).join(' ');
    group.append(svg('path', { d }));
    if (edge.labelBox !== undefined && edge.label !== '') {
      const text = svg('text', { x: edge.labelBox.x, y: edge.labelBox.y + 10 });
      edge.label.split('\n').forEach((line, index) => {
        const span = svg('tspan', { x: edge.labelBox?.x ?? 0, dy: index === 0 ? 0 : 13 });
        span.textContent = line;
        text.append(span);
      });
      group.append(text);
    }
    edges.push({ from: edge.source, group });
    root.append(group);
  }
  return { svg: root, nodes, edges };
}

function drawChart(current: ChartNode | undefined): void {
  if (chartDrawn === undefined) {
    chartDrawn = buildChart();
    ui.chart.replaceChildren(chartDrawn.svg);
  }
  const lit = new Set<string>();
  for (let node = current; node !== undefined; node = node.parent === undefined ? undefined : chart.nodes.find((n) => n.id === node?.parent)) {
    lit.add(node.id);
  }
  for (const [id, group] of chartDrawn.nodes) {
    group.classList.toggle('lit', lit.has(id));
    group.classList.toggle('current', id === current?.id);
  }
  for (const { from, group } of chartDrawn.edges) group.classList.toggle('from-lit', lit.has(from) && from !== chart.machine);
}

/** Counts backoffs down and heartbeats up between server messages. */
function tick(): void {
  for (const cell of document.querySelectorAll<HTMLElement>('td.countdown[data-at], td.age[data-at]')) {
    cell.textContent = relative(Number(cell.dataset.at));
  }
}

function treeElement(node: TreeNode): HTMLLIElement {
  const li = element('li');
  const parts = [node.id];
  if (node.name !== undefined) parts.push(`“${node.name}”`);
  if (node.logic !== undefined) parts.push(node.logic);
  parts.push(node.status);
  if (node.value !== undefined) parts.push(node.value);
  const label = parts.join(' · ');
  if (node.children.length === 0 && node.more === 0) {
    li.textContent = label;
    return li;
  }
  const details = element('details');
  details.open = true;
  details.append(element('summary', `${label} (${node.children.length + node.more} children)`));
  const list = element('ul');
  list.append(...node.children.map(treeElement));
  if (node.more > 0) list.append(element('li', `… ${node.more} more`, 'dim'));
  details.append(list);
  li.append(details);
  return li;
}

async function showTree(): Promise<void> {
  ui.treeButton.disabled = true;
  try {
    const response = await fetch('tree');
    const root = (await response.json()) as TreeNode;
    const list = element('ul');
    list.append(treeElement(root));
    ui.tree.replaceChildren(list);
    ui.treeButton.textContent = 'Refresh';
  } catch (error) {
    ui.tree.textContent = `Could not load the tree: ${String(error)}`;
  } finally {
    ui.treeButton.disabled = false;
  }
}

function connect(): void {
  const source = new EventSource('events');
  source.addEventListener('open', () => {
    document.body.dataset.connected = 'true';
    ui.connection.textContent = 'live';
  });
  source.addEventListener('error', () => {
    // EventSource reconnects on its own; the server sends a whole snapshot again.
    document.body.dataset.connected = 'false';
    ui.connection.textContent = 'reconnecting…';
  });
  source.addEventListener('snapshot', (event) => applySnapshot(JSON.parse((event as MessageEvent<string>).data) as SnapshotMessage));
  source.addEventListener('delta', (event) => applyDelta(JSON.parse((event as MessageEvent<string>).data) as DeltaMessage));
}

ui.filter.addEventListener('input', scheduleDraw);
ui.state.addEventListener('change', scheduleDraw);
ui.treeButton.addEventListener('click', () => void showTree());
setInterval(tick, 250);
drawChart(undefined);
connect();
