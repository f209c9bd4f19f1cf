import { settleAll } from '../util/settle-all.js';
import { shardIdsOf, type ShardRoute } from './shard-route.js';

/** One shard's part of a scatter: its value, or why it failed. */
export type ShardResult<T> = { readonly shardId: number } & (
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown }
);

/** Told of every route a scatter runs (the cross-shard read counter listens). */
export type ScatterListener = (route: ShardRoute) => void;

/**
 * Runs a route's per-shard work, every shard at once (never one after
 * another), and tells the listener which route it ran, so that no caller has
 * to remember to count its cross-shard reads. Two ways to gather, chosen by
 * the caller: `settled` returns a result per shard, positionally, when a
 * partial answer is acceptable; `all` waits for every shard and throws the
 * first failure when it is not.
 */
export class Scatter {
  constructor(private readonly listener: ScatterListener = () => {}) {}

  async settled<T>(route: ShardRoute, fn: (shardId: number) => Promise<T>): Promise<ShardResult<T>[]> {
    const shardIds = this.start(route);
    const settled = await Promise.allSettled(shardIds.map((id) => fn(id)));
    return settled.map((s, i) =>
      s.status === 'fulfilled'
        ? { shardId: shardIds[i]!, ok: true, value: s.value }
        : { shardId: shardIds[i]!, ok: false, error: s.reason },
    );
  }

  /** The values in route order, or the first shard's error when any failed (after all have finished). */
  all<T>(route: ShardRoute, fn: (shardId: number) => Promise<T>): Promise<T[]> {
    return settleAll(this.start(route).map((id) => fn(id)));
  }

  private start(route: ShardRoute): readonly number[] {
    this.listener(route);
    return shardIdsOf(route);
  }
}
