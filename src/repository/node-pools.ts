import type pg from 'pg';
import type { ShardNode } from '../sharding/shard.js';
import type { NodeAdmission } from './admission.js';
import { settleAll } from '../util/settle-all.js';

interface Entry {
  readonly node: ShardNode;
  readonly pool: pg.Pool;
  readonly probePool: pg.Pool;
  /** Who may ask the pool for a connection, and the bounded queue of who waits. */
  readonly admission: NodeAdmission;
  /** Connections checked out or being waited for. */
  inFlight: number;
  retired: boolean;
}

/** One use of a node's pool; `release` exactly once, when its connection is given back (or was never obtained). */
export interface PoolLease {
  readonly pool: pg.Pool;
  readonly admission: NodeAdmission;
  release(): void;
}

/**
 * The pools of the nodes in the topology, keyed by node identity (so a
 * reloaded topology keeps the pools of unchanged nodes). A node removed by a
 * reload is retired: no new statement gets its pool, and it is closed once
 * the statements already on it have finished, so that a reload drops no
 * request in flight.
 */
export class NodePools {
  private readonly live = new Map<string, Entry>();
  private readonly draining = new Set<Entry>();
  private readonly closing: Promise<void>[] = [];

  constructor(
    private readonly open: (node: ShardNode, probe: boolean) => pg.Pool,
    private readonly openAdmission: (node: ShardNode) => NodeAdmission,
  ) {}

  /** Opens pools for `nodes` that have none; retires the pools of nodes not among them. */
  reconcile(nodes: readonly ShardNode[]): void {
    const keys = new Set(nodes.map((n) => n.key));
    for (const [key, entry] of this.live) {
      if (keys.has(key)) continue;
      this.live.delete(key);
      entry.retired = true;
      this.draining.add(entry);
      // Probes are not requests: stop them now.
      this.closing.push(entry.probePool.end().catch(() => {}));
      this.endIfIdle(entry);
    }
    for (const node of nodes) {
      if (!this.live.has(node.key)) {
        this.live.set(node.key, {
          node,
          pool: this.open(node, false),
          probePool: this.open(node, true),
          admission: this.openAdmission(node),
          inFlight: 0,
          retired: false,
        });
      }
    }
  }

  /** A lease on the node's statement pool; null when the node left the topology. */
  checkout(node: ShardNode): PoolLease | null {
    const entry = this.live.get(node.key);
    if (!entry) return null;
    entry.inFlight++;
    let released = false;
    return {
      pool: entry.pool,
      admission: entry.admission,
      release: () => {
        if (released) return;
        released = true;
        entry.inFlight--;
        if (entry.retired) this.endIfIdle(entry);
      },
    };
  }

  /** The node's statement pool, for statistics; null when it left the topology. */
  pool(node: ShardNode): pg.Pool | null {
    return this.live.get(node.key)?.pool ?? null;
  }

  admission(node: ShardNode): NodeAdmission | null {
    return this.live.get(node.key)?.admission ?? null;
  }

  probePool(node: ShardNode): pg.Pool | null {
    return this.live.get(node.key)?.probePool ?? null;
  }

  /** Pools of removed nodes that still wait for their statements to finish. */
  drainingCount(): number {
    return this.draining.size;
  }

  /** Ends every pool (shutdown), including those still draining; statements still waiting for admission get `refusal`. */
  async closeAll(refusal: (node: ShardNode) => Error): Promise<void> {
    const all = [...this.live.values(), ...this.draining];
    for (const entry of all) entry.admission.refuseAll(refusal(entry.node));
    this.live.clear();
    this.draining.clear();
    await settleAll([...this.closing, ...all.flatMap((e) => [e.pool.end().catch(() => {}), e.probePool.end().catch(() => {})])]);
  }

  private endIfIdle(entry: Entry): void {
    if (entry.inFlight > 0 || !this.draining.has(entry)) return;
    this.draining.delete(entry);
    this.closing.push(entry.pool.end().catch(() => {}));
  }
}
