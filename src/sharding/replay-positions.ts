import type { ShardNode } from './shard.js';

/** Where a node's history stood when it was last asked. */
export interface NodePosition {
  readonly systemId: bigint;
  readonly timeline: number;
  /** A primary's WAL position, or a standby's replay position. */
  readonly lsn: bigint;
  /** When it was read (ms, on the caller's clock). */
  readonly at: number;
}

export type PositionListener = (node: ShardNode, position: NodePosition) => void;

/**
 * The last known WAL position of every node, fed by health probes, by the
 * positions writes return, and by the short waits of token reads. Positions
 * only move forward on one history: an older reading that arrives late (a
 * slow probe) never hides a newer one.
 */
export class ReplayPositions {
  private readonly positions = new Map<string, NodePosition>();
  private readonly listeners = new Set<PositionListener>();

  of(node: ShardNode): NodePosition | null {
    return this.positions.get(node.id) ?? null;
  }

  record(node: ShardNode, position: NodePosition): void {
    const known = this.positions.get(node.id);
    const sameHistory = known !== undefined && known.systemId === position.systemId && known.timeline === position.timeline;
    if (sameHistory && known.lsn >= position.lsn) return;
    if (known && known.at > position.at && !sameHistory) return;
    this.positions.set(node.id, position);
    for (const listener of this.listeners) listener(node, position);
  }

  /** Called whenever a node's position moves. Returns the function that unsubscribes. */
  subscribe(listener: PositionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
