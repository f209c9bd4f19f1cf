/**
 * A table whose rows belong to one user and live on that user's shard. Each
 * one gets the layout guard (see reshard-schema.ts), so that a gateway on a
 * stale layout can write none of its rows to the wrong shard, and its writes
 * are captured while a reshard copies users. A new co-located table adds an
 * entry here and, in its own migration, `layoutGuardOn(entry)`.
 */
export interface ColocatedTable {
  readonly table: string;
  /** The column holding the owning user's id (the shard key). */
  readonly ownerColumn: string;
}

export const USERS_TABLE: ColocatedTable = { table: 'users', ownerColumn: 'user_id' };

/** A user's orders (see docs/orders.md). */
export const ORDERS_TABLE: ColocatedTable = { table: 'orders', ownerColumn: 'user_id' };
