import type { MessageLogEntry } from "./entry.ts";

/** One message in a lineage tree. */
export interface LineageNode {
  /** Its last entry: how it ended (so far). */
  readonly entry: MessageLogEntry;
  /** Every entry of it, one per attempt, oldest first. */
  readonly attempts: readonly MessageLogEntry[];
  /** Messages whose `parentId` is this one, in the order they were first settled. */
  readonly children: readonly LineageNode[];
}

/** A message's place in its family: what it came from and what came of it. */
export interface Lineage {
  /** The last entry of each ancestor in the log, root first (the parent last). */
  readonly ancestors: readonly MessageLogEntry[];
  /** The message's own entries, one per attempt, oldest first. */
  readonly message: readonly MessageLogEntry[];
  /** Its descendants by `parentId`. */
  readonly descendants: readonly LineageNode[];
  /** The `parentId` of the oldest ancestor found, when that parent is not in the log (published by a producer outside it, or pruned). */
  readonly missingParentId?: string;
  /** True when the tree was cut at `MAX_LINEAGE_NODES` messages. */
  readonly truncated?: boolean;
}

/** Most messages a lineage holds (ancestors and descendants). */
export const MAX_LINEAGE_NODES = 10_000;

/** How a lineage reads the log. */
export interface LineageReader {
  get(id: string): MessageLogEntry[];
  children(parentId: string): MessageLogEntry[];
}

/** Build the lineage of `id` from a reader; undefined when `id` is not in the log. */
export function lineageOf(id: string, log: LineageReader): Lineage | undefined {
  const message = log.get(id);
  if (message.length === 0) return undefined;
  const seen = new Set<string>([id]);
  const ancestors: MessageLogEntry[] = [];
  let missingParentId: string | undefined;
  let parent = parentOf(message);
  while (parent !== undefined && !seen.has(parent) && seen.size < MAX_LINEAGE_NODES) {
    seen.add(parent);
    const entries = log.get(parent);
    if (entries.length === 0) {
      missingParentId = parent;
      break;
    }
    ancestors.push(entries.at(-1)!);
    parent = parentOf(entries);
  }
  ancestors.reverse();
  let truncated = false;
  const grow = (parentId: string): LineageNode[] => {
    const byId = new Map<string, MessageLogEntry[]>();
    for (const e of log.children(parentId)) {
      if (seen.has(e.id) && !byId.has(e.id)) continue;
      let list = byId.get(e.id);
      if (!list) {
        if (seen.size >= MAX_LINEAGE_NODES) {
          truncated = true;
          continue;
        }
        seen.add(e.id);
        list = [];
        byId.set(e.id, list);
      }
      list.push(e);
    }
    return [...byId].map(([childId, attempts]) => ({
      entry: attempts.at(-1)!,
      attempts,
      children: grow(childId),
    }));
  };
  const descendants = grow(id);
  return {
    ancestors,
    message,
    descendants,
    ...(missingParentId !== undefined ? { missingParentId } : {}),
    ...(truncated ? { truncated } : {}),
  };
}

/** The parent a message's entries name (the last that names one). */
function parentOf(entries: readonly MessageLogEntry[]): string | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    const p = entries[i]!.parentId;
    if (p) return p;
  }
  return undefined;
}
