import type { NodeConfig, Topology } from '../config/topology.js';
import { shardIdFor } from '../sharding/shard-id-for.js';
import { ReshardError } from './reshard-error.js';

/** One database taking part: the primary of a shard of the old layout, of the new one, or both. */
export interface PlannedDatabase {
  /** `host:port/dbname` of the primary: two shards with the same key are the same database. */
  readonly key: string;
  readonly primary: NodeConfig;
  /** Its shard in the old layout, or null (a new cluster). */
  readonly oldShard: number | null;
  /** Its shard in the new layout, or null (it leaves the layout: retired after the cutover). */
  readonly newShard: number | null;
}

/** Which database is which shard before and after, as values. Pure. */
export interface ReshardPlan {
  readonly oldCount: number;
  readonly newCount: number;
  readonly databases: readonly PlannedDatabase[];
  /** Index into `databases`, by old shard id. */
  readonly oldDatabase: readonly number[];
  /** Index into `databases`, by new shard id. */
  readonly newDatabase: readonly number[];
}

export function databaseKey(node: NodeConfig): string {
  return `${node.host}:${node.port}/${node.dbname}`;
}

/**
 * Matches the shards of the two layouts by database. Refuses a layout that
 * lists one database as two shards, and an unchanged shard count (nothing
 * would move: that is a topology reload, not a reshard).
 */
export function buildReshardPlan(from: Topology, to: Topology): ReshardPlan {
  const oldCount = from.shards.length;
  const newCount = to.shards.length;
  if (oldCount === newCount) {
    throw new ReshardError(
      `--from and --to both have ${oldCount} shard(s): resharding changes the shard count (use SIGHUP to change nodes)`,
    );
  }
  const databases: { key: string; primary: NodeConfig; oldShard: number | null; newShard: number | null }[] = [];
  const byKey = new Map<string, number>();
  const place = (node: NodeConfig, side: 'oldShard' | 'newShard', shardId: number, file: string): number => {
    const key = databaseKey(node);
    let index = byKey.get(key);
    if (index === undefined) {
      index = databases.push({ key, primary: node, oldShard: null, newShard: null }) - 1;
      byKey.set(key, index);
    }
    const db = databases[index]!;
    if (db[side] !== null) throw new ReshardError(`${file}: shards ${db[side]} and ${shardId} are the same database ${key}`);
    db[side] = shardId;
    return index;
  };
  const oldDatabase = from.shards.map((s) => place(s.primary, 'oldShard', s.shardId, '--from'));
  const newDatabase = to.shards.map((s) => place(s.primary, 'newShard', s.shardId, '--to'));
  return { oldCount, newCount, databases, oldDatabase, newDatabase };
}

/** The new shard of a user. */
export function newShardOf(plan: ReshardPlan, userId: string): number {
  return shardIdFor(userId, plan.newCount);
}

/** The database a user must be in after the cutover. */
export function targetDatabaseOf(plan: ReshardPlan, userId: string): number {
  return plan.newDatabase[newShardOf(plan, userId)]!;
}

/** True when the user, owned by old shard `oldShard`, lives in another database after the cutover. */
export function moves(plan: ReshardPlan, oldShard: number, userId: string): boolean {
  return targetDatabaseOf(plan, userId) !== plan.oldDatabase[oldShard];
}

/** True when `userId` is one of old shard `oldShard`'s own users (a database may also hold copies made for the new layout). */
export function ownedByOldShard(plan: ReshardPlan, oldShard: number, userId: string): boolean {
  return shardIdFor(userId, plan.oldCount) === oldShard;
}

/** True when `userId` belongs in database `db` after the cutover. */
export function belongsAfter(plan: ReshardPlan, db: number, userId: string): boolean {
  return targetDatabaseOf(plan, userId) === db;
}

/** How many users of each old shard go to each new shard, and how many of them change database. */
export interface MoveCounts {
  /** [old shard][new shard] → users. */
  readonly matrix: number[][];
  readonly total: number;
  readonly moving: number;
  /** Users found on an old shard that do not belong to it under the old layout. */
  readonly misplaced: number[];
}

export function emptyMoveCounts(plan: ReshardPlan): MoveCounts {
  return {
    matrix: plan.oldDatabase.map(() => plan.newDatabase.map(() => 0)),
    total: 0,
    moving: 0,
    misplaced: plan.oldDatabase.map(() => 0),
  };
}

/** Adds the users found in old shard `oldShard`'s database to `counts` (mutates and returns it). */
export function countMoves(plan: ReshardPlan, counts: MoveCounts, oldShard: number, userIds: readonly string[]): MoveCounts {
  const row = counts.matrix[oldShard]!;
  let total = counts.total;
  let moving = counts.moving;
  for (const userId of userIds) {
    if (!ownedByOldShard(plan, oldShard, userId)) {
      counts.misplaced[oldShard]!++;
      continue;
    }
    row[newShardOf(plan, userId)]!++;
    total++;
    if (moves(plan, oldShard, userId)) moving++;
  }
  return Object.assign(counts, { total, moving });
}

/** The plan for people: one line per database and per old shard. */
export function describePlan(plan: ReshardPlan, counts: MoveCounts | null): string[] {
  const lines = [`plan: ${plan.oldCount} → ${plan.newCount} shards`];
  for (const db of plan.databases) {
    const role =
      db.oldShard !== null && db.newShard !== null
        ? `old shard ${db.oldShard} → new shard ${db.newShard} (same database: its staying users stay)`
        : db.oldShard !== null
          ? `old shard ${db.oldShard} → leaves the layout (emptied by the cleanup)`
          : `new shard ${db.newShard} (new database)`;
    lines.push(`  ${db.key}: ${role}`);
  }
  if (counts) {
    plan.oldDatabase.forEach((_, i) => {
      const row = counts.matrix[i]!;
      const owned = row.reduce((a, b) => a + b, 0);
      const parts = row
        .map((n, j) => ({ n, j }))
        .filter(({ n }) => n > 0)
        .map(({ n, j }) => (plan.newDatabase[j] === plan.oldDatabase[i] ? `${n} stay (new shard ${j})` : `${n} → new shard ${j}`));
      lines.push(`  old shard ${i}: ${owned} users: ${parts.length ? parts.join(', ') : 'none'}`);
    });
    const pct = counts.total === 0 ? 0 : Math.round((counts.moving / counts.total) * 100);
    lines.push(`  ${counts.moving} of ${counts.total} users move (${pct}%)`);
  }
  return lines;
}
