/**
 * A persistent map from worker name to a value: the root's index of where each worker
 * lives in the tree. Persistent (every update returns a new map and shares the rest), so
 * the root's transitions stay pure — `@xstate/graph` explores several futures of one
 * snapshot — while an update costs O(log N): copying a `Map` of N names on each of N
 * `add()` calls made a dynamic group quadratic. A user's name is only ever compared as
 * data here, never used as an object key.
 *
 * A hash trie: 32 children per node, 5 bits of a 32-bit FNV-1a hash per level, and a
 * bucket of entries once the bits run out or the bucket is small.
 */
export type NameMap<V> = Node<V> | null;

type Entry<V> = readonly [name: string, value: V];
type Node<V> =
  | { readonly bucket: readonly Entry<V>[] }
  | { readonly children: readonly (Node<V> | null)[] };

const bits = 5;
const width = 1 << bits;
const maxDepth = 6; // 6 × 5 bits of a 32-bit hash: deeper, entries share a bucket
const bucketSize = 8;

function hash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const digit = (h: number, depth: number): number => (h >>> (depth * bits)) & (width - 1);

export function getName<V>(map: NameMap<V>, name: string): V | undefined {
  const h = hash(name);
  let node = map;
  for (let depth = 0; node !== null; depth++) {
    if ('bucket' in node) {
      for (const [key, value] of node.bucket) if (key === name) return value;
      return undefined;
    }
    node = node.children[digit(h, depth)] ?? null;
  }
  return undefined;
}

/** `map` with `name` set to `value`. */
export function setName<V>(map: NameMap<V>, name: string, value: V): NameMap<V> {
  return put(map, name, hash(name), value, 0);
}

function put<V>(node: NameMap<V>, name: string, h: number, value: V, depth: number): Node<V> {
  if (node === null) return { bucket: [[name, value]] };
  if ('bucket' in node) {
    const bucket = node.bucket.filter(([key]) => key !== name);
    bucket.push([name, value]);
    if (bucket.length <= bucketSize || depth >= maxDepth) return { bucket };
    // Split the full bucket one level down.
    let split: Node<V> = { children: new Array<Node<V> | null>(width).fill(null) };
    for (const [key, entry] of bucket) split = put(split, key, hash(key), entry, depth);
    return split;
  }
  const children = node.children.slice();
  const at = digit(h, depth);
  children[at] = put(children[at] ?? null, name, h, value, depth + 1);
  return { children };
}

/** `map` without `name` (the same map if it has no such name). */
export function deleteName<V>(map: NameMap<V>, name: string): NameMap<V> {
  return remove(map, name, hash(name), 0);
}

function remove<V>(node: NameMap<V>, name: string, h: number, depth: number): NameMap<V> {
  if (node === null) return null;
  if ('bucket' in node) {
    const bucket = node.bucket.filter(([key]) => key !== name);
    if (bucket.length === node.bucket.length) return node;
    return bucket.length === 0 ? null : { bucket };
  }
  const at = digit(h, depth);
  const child = node.children[at] ?? null;
  const next = remove(child, name, h, depth + 1);
  if (next === child) return node;
  const children = node.children.slice();
  children[at] = next;
  return children.every((entry) => entry === null) ? null : { children };
}

/** Calls `visit` with every entry (in no particular order). */
export function forEachName<V>(map: NameMap<V>, visit: (name: string, value: V) => void): void {
  if (map === null) return;
  if ('bucket' in map) {
    for (const [key, value] of map.bucket) visit(key, value);
    return;
  }
  for (const child of map.children) forEachName(child, visit);
}

/**
 * The root's index of its workers' names: the names it started with (position `i` below
 * top branch 0 is `initial[i]`), and a persistent map of what changed since (a name added,
 * or `null`: removed). A group that is never changed builds no map of its N names at all:
 * the lookup of an initial name builds one `Map` of them on first use, cached per array
 * (the array is never changed, so the cache is a pure function of it).
 */
export interface NameIndex<V> {
  readonly initial: readonly string[];
  readonly changes: NameMap<V | null>;
}

const initialPositions = new WeakMap<readonly string[], Map<string, number>>();

/** The position of each initial name: one `Map`, built on first use and cached per array. */
function positionsOf(initial: readonly string[]): Map<string, number> {
  let positions = initialPositions.get(initial);
  if (positions === undefined) {
    positions = new Map(initial.map((name, position) => [name, position]));
    initialPositions.set(initial, positions);
  }
  return positions;
}

/** Where `name` is, if it is in the index. `initialValue` makes the value of an initial name. */
export function lookupName<V>(index: NameIndex<V>, name: string, initialValue: (position: number) => V): V | undefined {
  const changed = getName(index.changes, name);
  if (changed !== undefined) return changed ?? undefined;
  const position = positionsOf(index.initial).get(name);
  return position === undefined ? undefined : initialValue(position);
}

/**
 * `index` with `name` at `value` (`null`: removed). Only an initial name leaves a `null`
 * behind when removed; a name added later is deleted from the changes, so a group that
 * adds and removes workers all day keeps nothing per name it no longer has.
 */
export function changeName<V>(index: NameIndex<V>, name: string, value: V | null): NameIndex<V> {
  if (value === null && !positionsOf(index.initial).has(name)) {
    return { initial: index.initial, changes: deleteName(index.changes, name) };
  }
  return { initial: index.initial, changes: setName(index.changes, name, value) };
}
