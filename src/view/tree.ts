import type { AnyActorRef } from 'xstate';
import type { TreeNode } from './protocol.js';

/** Children listed per actor; the rest are counted. */
const maxChildren = 100;
/** Actors listed in all: a tree of 100,000 workers still answers in a few hundred KB. */
const maxNodes = 2000;
const maxDepth = 12;

interface SnapshotLike {
  status?: unknown;
  value?: unknown;
  context?: unknown;
  children?: Record<string, AnyActorRef | undefined>;
}

/** A worker's name from its context; nothing for other contexts (a user's machine's may be anything). */
function contextName(context: unknown): string | undefined {
  try {
    const name = (context as { name?: unknown } | null | undefined)?.name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The actor tree under `root` as its snapshots show it now: ids, logic, status, state value
 * and children, whatever shape the group gives its tree (branches, workers, work actors).
 * Bounded in breadth, depth and size.
 */
export function actorTree(root: AnyActorRef): TreeNode {
  let budget = maxNodes;
  const visit = (actor: AnyActorRef, depth: number): TreeNode => {
    budget -= 1;
    const snapshot = actor.getSnapshot() as SnapshotLike;
    const node: TreeNode = { id: actor.id, status: String(snapshot.status), children: [], more: 0 };
    const logicId = (actor as { logic?: { id?: unknown } }).logic?.id;
    if (typeof logicId === 'string') node.logic = logicId;
    if (snapshot.value !== undefined) node.value = JSON.stringify(snapshot.value);
    const name = contextName(snapshot.context);
    if (name !== undefined) node.name = name;
    const children = Object.values(snapshot.children ?? {}).filter((child) => child !== undefined);
    for (const child of children) {
      if (depth >= maxDepth || budget <= 0 || node.children.length >= maxChildren) break;
      node.children.push(visit(child, depth + 1));
    }
    node.more = children.length - node.children.length;
    return node;
  };
  return visit(root, 0);
}
