import DataLoader from 'dataloader';
import type { ShardManager } from '../../sharding/shard-manager.js';
import { keysOn } from '../../sharding/shard-route.js';

/** What one kind of per-shard batch needs to know. */
export interface ShardBatch<K, V> {
  /** The userId whose shard stores what `key` names (a user's own id, an order's owner). */
  ownerOf(key: K): string;
  /** The key's identity in the batch and its cache. @default String(key) */
  idOf?(key: K): string;
  /** Everything the keys (all stored on `shardId`) name, in ONE statement, by `idOf`; absent ids answer `missing`. */
  load(shardId: number, keys: readonly K[]): Promise<ReadonlyMap<string, V>>;
  /** The answer for a key the shard does not have. */
  readonly missing: V;
  /**
   * When the batch is sent. @default DataLoader's: once the current tick's
   * loads are queued. A nested batch passes PendingReads.whenIdle, a read
   * that may bring more parents passes none and is tracked (`track`).
   */
  readonly schedule?: (dispatch: () => void) => void;
  /** Counts each batch as a read in flight (see PendingReads). */
  readonly track?: <T>(work: Promise<T>) => Promise<T>;
}

/**
 * A per-request, per-shard batch loader: every `load` of one tick (any
 * number of resolvers, aliases, nested lists) joins one batch, split by the
 * shard of each key's owner, one statement per shard touched, every shard
 * at once. A shard that cannot answer turns only its keys into errors.
 * Built per request (see RequestLoaders): never shared between requests.
 */
export function shardBatchLoader<K, V>(manager: ShardManager, batch: ShardBatch<K, V>): DataLoader<K, V> {
  const idOf = batch.idOf ?? ((key: K) => String(key));
  return new DataLoader<K, V, string>(
    async (keys) => {
      const byId = new Map<string, K>();
      const ownerOfId = new Map<string, string>();
      for (const key of keys) {
        const id = idOf(key);
        byId.set(id, key);
        ownerOfId.set(id, batch.ownerOf(key));
      }
      // Routed by owner; each shard gets the keys of the owners it stores.
      const idsByOwner = new Map<string, string[]>();
      for (const [id, owner] of ownerOfId) {
        const list = idsByOwner.get(owner);
        if (list) list.push(id);
        else idsByOwner.set(owner, [id]);
      }
      const route = manager.routeKeys(idsByOwner.keys());
      const scatter = manager.scatter.settled(route, (shardId) =>
        batch.load(
          shardId,
          keysOn(route, shardId).flatMap((owner) => idsByOwner.get(owner)!.map((id) => byId.get(id)!)),
        ),
      );
      const results = await (batch.track ? batch.track(scatter) : scatter);
      const found = new Map<string, V>();
      const failed = new Map<number, Error>();
      for (const result of results) {
        if (result.ok) for (const [id, value] of result.value) found.set(id, value);
        else failed.set(result.shardId, result.error instanceof Error ? result.error : new Error(String(result.error)));
      }
      return keys.map((key) => {
        const id = idOf(key);
        if (found.has(id)) return found.get(id)!;
        if (failed.size > 0) {
          const error = failed.get(manager.shardIdOf(batch.ownerOf(key)));
          if (error) return error;
        }
        return batch.missing;
      });
    },
    { cacheKeyFn: idOf, ...(batch.schedule ? { batchScheduleFn: batch.schedule } : {}) },
  );
}

/**
 * The request's batch loaders by name: one loader per kind of batch and its
 * arguments (`orders-of-user:desc:PAID:5`), so that every field asking the
 * same thing in one request shares one batch, and fields with different
 * arguments do not mix. Lives in the request's context and dies with it.
 */
export class RequestLoaders {
  private readonly loaders = new Map<string, DataLoader<any, any, any>>();

  get<K, V>(name: string, build: () => DataLoader<K, V, any>): DataLoader<K, V, any> {
    let loader = this.loaders.get(name);
    if (!loader) {
      loader = build();
      this.loaders.set(name, loader);
    }
    return loader as DataLoader<K, V, any>;
  }
}
