import { describe, expect, it } from 'vitest';
import { shardIdFor } from './shard-id-for.js';
import { keysOn, routeAll, routeKeys, shardIdsOf } from './shard-route.js';

describe('shard routes', () => {
  it('keys on one shard are one route to that shard, deduplicated in first-seen order', () => {
    // user-42 and user-7 both hash to shard 0 of 3; checked here so the test says why.
    expect([shardIdFor('user-42', 3), shardIdFor('user-7', 3)]).toEqual([0, 0]);
    const route = routeKeys(['user-42', 'user-7', 'user-42'], 3);
    expect(route).toEqual({ kind: 'one', shardId: 0, keys: ['user-42', 'user-7'] });
    expect(shardIdsOf(route)).toEqual([0]);
    expect(keysOn(route, 0)).toEqual(['user-42', 'user-7']);
    expect(keysOn(route, 1)).toEqual([]);
  });

  it('keys on several shards name only the shards that hold some, each with its keys', () => {
    const keys = ['alice', 'user-42', 'bob', 'carol'];
    const route = routeKeys(keys, 3);
    expect(route.kind).toBe('some');
    const expected = new Map<number, string[]>();
    for (const key of keys) expected.set(shardIdFor(key, 3), [...(expected.get(shardIdFor(key, 3)) ?? []), key]);
    expect(shardIdsOf(route)).toEqual([...expected.keys()]);
    for (const [shardId, shardKeys] of expected) expect(keysOn(route, shardId)).toEqual(shardKeys);
  });

  it('every shard is a route to 0..N-1, carrying no keys', () => {
    const route = routeAll(4);
    expect(route).toEqual({ kind: 'all', shardIds: [0, 1, 2, 3] });
    expect(shardIdsOf(route)).toEqual([0, 1, 2, 3]);
    expect(keysOn(route, 2)).toEqual([]);
  });
});
