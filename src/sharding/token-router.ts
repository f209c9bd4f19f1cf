import { chooseTokenRead, type ShardHistory } from './choose-token-read.js';
import type { ShardPosition } from './consistency-token.js';
import type { NodeTarget } from './node-target.js';
import { ReadPolicy } from './read-policy.js';
import type { ReplayPositions } from './replay-positions.js';
import type { ReplayWatch } from './replay-watch.js';
import type { ShardManager } from './shard-manager.js';

/**
 * The nodes a read that carries a consistency token may use for one shard,
 * best first (see chooseTokenRead): a caught-up replica, or one that catches
 * up within the wait, then always the primary — which has every committed
 * write of its history, so a read never returns less than the token saw.
 */
export class TokenRouter {
  constructor(
    private readonly manager: ShardManager,
    private readonly positions: ReplayPositions,
    private readonly watch: ReplayWatch,
  ) {}

  /** `maxStalenessMs`: the request's staleness bound also narrows the replicas (see ShardManager.readTargets). */
  async targets(
    shardId: number,
    wanted: ShardPosition,
    waitMs: number,
    options: { readonly maxStalenessMs?: number } = {},
  ): Promise<NodeTarget[]> {
    // The write target, not readTargets(PrimaryOnly): a second readTargets call would advance the replicas' round-robin twice.
    const write = this.manager.writeTarget(shardId);
    const primary: NodeTarget[] = write ? [{ ...write, reason: 'token-primary' }] : [];
    const replicas = this.manager.readTargets(shardId, ReadPolicy.ReplicaPreferred, options).filter((t) => t.reason === 'replica-read');
    const decision = chooseTokenRead(
      wanted,
      this.historyOf(write),
      replicas.map((t) => ({ node: t, position: this.positions.of(t.node) })),
    );
    switch (decision.kind) {
      case 'replica':
        return [{ ...decision.node, reason: 'token-replica' }, ...primary];
      case 'primary':
        return primary;
      case 'wait': {
        const nodes = decision.candidates.map((t) => t.node);
        const caughtUp = await this.watch.waitFor(nodes, wanted, waitMs);
        const target = decision.candidates.find((t) => t.node === caughtUp);
        return target ? [{ ...target, reason: 'token-replica-after-wait' }, ...primary] : primary;
      }
    }
  }

  /** The shard's history as its primary (as observed now) last reported it (probe or write); null without a primary. */
  private historyOf(write: NodeTarget | null): ShardHistory | null {
    const position = write ? this.positions.of(write.node) : null;
    return position ? { systemId: position.systemId, timeline: position.timeline } : null;
  }
}
