/**
 * Where a walk over every shard stands on each shard: after key `K` (the
 * sort key of the last row of that shard the client has seen), or from the
 * start (null). When every shard answers every page, all positions are the
 * same key (the last row of the page); a shard that could not answer keeps
 * the position it had, so that later pages pick it up from there once it is
 * back. Generic over the key, so that every scatter-gathered keyset page
 * (users, orders) keeps its positions the same way. Pure.
 */
export interface ShardPositions<K> {
  readonly shardCount: number;
  /** Indexed by shard id; null: that shard is read from its start. */
  readonly positions: readonly (K | null)[];
}

/** The most shards a cursor may name: far above any real layout, low enough to bound the work of reading one. */
export const MAX_CURSOR_SHARDS = 1024;

/** Every shard at the same position. */
export function uniformPositions<K>(shardCount: number, key: K | null): ShardPositions<K> {
  return { shardCount, positions: Array.from({ length: shardCount }, () => key) };
}

/** The one key every shard stands at, or undefined when they differ (null: all from the start). */
export function commonPosition<K>(p: ShardPositions<K>, compare: (a: K, b: K) => number): K | null | undefined {
  const first = p.positions[0] ?? null;
  for (const key of p.positions) {
    if ((key === null) !== (first === null)) return undefined;
    if (key !== null && compare(key, first!) !== 0) return undefined;
  }
  return first;
}

/**
 * Where to read `shardId` from under the layout of `shardCount` shards. A
 * cursor made under another shard count (a reshard happened between two
 * pages) cannot say where each new shard stood: the earliest of its
 * positions is used for every shard, so that nothing is skipped (rows past
 * it may be seen again).
 */
export function positionFor<K>(
  p: ShardPositions<K> | null,
  shardId: number,
  shardCount: number,
  compare: (a: K, b: K) => number,
): K | null {
  if (p === null) return null;
  if (p.shardCount === shardCount) return p.positions[shardId] ?? null;
  let earliest: K | null | undefined;
  for (const key of p.positions) {
    if (key === null) return null;
    if (earliest === undefined || compare(key, earliest!) < 0) earliest = key;
  }
  return earliest ?? null;
}

/**
 * The positions after a row `last` was handed out: every shard that answered
 * stands at `last`, or stays where it was when it is already past it (a
 * shard that was behind returned rows before the others' position); every
 * shard that did not answer keeps its position. `last` null (nothing handed
 * out): the answering shards keep their positions too.
 */
export function advancePositions<K>(
  before: ShardPositions<K>,
  answered: (shardId: number) => boolean,
  last: K | null,
  compare: (a: K, b: K) => number,
): ShardPositions<K> {
  if (last === null) return before;
  return {
    shardCount: before.shardCount,
    positions: before.positions.map((key, shardId) => {
      if (!answered(shardId)) return key;
      return key !== null && compare(key, last) > 0 ? key : last;
    }),
  };
}

/** How a key is written into a cursor and read back; `read` returns null for anything `write` would not have made. */
export interface KeyText<K> {
  write(key: K): string;
  read(text: string): K | null;
}

/**
 * The text of a cursor that keeps a position per shard (before base64url):
 *
 * ```
 * v2|<tag>|<shardCount>
 * *|<key>                  every shard not named below (the most common position)
 * <id>,<id>...|<key>       these shards stand elsewhere
 * ```
 *
 * A key is `-` for "from the start". Shards that stand at the same position
 * share one line, so the text grows with the number of distinct positions
 * (at most one per shard that missed pages at a different time) plus a few
 * characters per shard that is behind, not with the number of shards.
 * Keys may contain `|` but never a line break (the key writers refuse control characters).
 */
export function writePositions<K>(tag: string, p: ShardPositions<K>, keys: KeyText<K>): string {
  const groups = new Map<string, number[]>();
  p.positions.forEach((key, shardId) => {
    const text = key === null ? '-' : keys.write(key);
    const ids = groups.get(text);
    if (ids) ids.push(shardId);
    else groups.set(text, [shardId]);
  });
  let common = '';
  let most = -1;
  for (const [text, ids] of groups) {
    if (ids.length > most) {
      most = ids.length;
      common = text;
    }
  }
  const lines = [`v2|${tag}|${p.shardCount}`, `*|${common}`];
  for (const [text, ids] of groups) if (text !== common) lines.push(`${ids.join(',')}|${text}`);
  return lines.join('\n');
}

/** The positions `writePositions` wrote, with its tag; null for any other text (every shard named at most once, ids below the count). */
export function readPositions<K>(text: string, keys: KeyText<K>): { tag: string; positions: ShardPositions<K> } | null {
  const lines = text.split('\n');
  const head = /^v2\|([a-z])\|([1-9][0-9]{0,3})$/.exec(lines[0] ?? '');
  if (!head) return null;
  const shardCount = Number(head[2]);
  if (shardCount > MAX_CURSOR_SHARDS || lines.length < 2 || lines.length > shardCount + 1) return null;
  const readKey = (t: string): { key: K | null } | null => {
    if (t === '-') return { key: null };
    const key = keys.read(t);
    return key === null ? null : { key };
  };
  const common = /^\*\|(.+)$/s.exec(lines[1]!);
  const commonKey = common ? readKey(common[1]!) : null;
  if (!commonKey) return null;
  const positions: (K | null)[] = Array.from({ length: shardCount }, () => commonKey.key);
  const named = new Set<number>();
  for (const line of lines.slice(2)) {
    const m = /^([0-9]{1,4}(?:,[0-9]{1,4})*)\|(.+)$/s.exec(line);
    if (!m) return null;
    const key = readKey(m[2]!);
    if (!key) return null;
    for (const part of m[1]!.split(',')) {
      const id = Number(part);
      if (String(id) !== part || id >= shardCount || named.has(id)) return null;
      named.add(id);
      positions[id] = key.key;
    }
  }
  return { tag: head[1]!, positions: { shardCount, positions } };
}
