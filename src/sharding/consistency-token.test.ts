import { describe, expect, it } from 'vitest';
import { decodeToken, encodeToken, maxTokenChars, mergeTokens, positionFromPg, type ShardPosition } from './consistency-token.js';

const SYS = 7714531606053312562n;
const p = (shardId: number, lsn: bigint, timeline = 1, systemId = SYS): ShardPosition => ({ shardId, systemId, timeline, lsn });

describe('consistency token encoding', () => {
  it('round-trips, and costs 30 characters per shard', () => {
    const token = [p(0, 0x3424550n), p(2, 0x16b374d848n, 3)];
    const text = encodeToken(token);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(text.length).toBe(Math.ceil(((1 + 22 * 2) * 4) / 3));
    expect(decodeToken(text, 3)).toEqual(token);
    expect(encodeToken([p(0, 1n)]).length).toBe(31);
  });

  it('is frozen: this vector must keep decoding the same way', () => {
    const text = encodeToken([p(1, 0x3424550n, 2)]);
    expect(text).toBe('AQABAAAAAmsPhZ9TVNgyAAAAAANCRVA');
    expect(decodeToken('AQABAAAAAmsPhZ9TVNgyAAAAAANCRVA', 3)).toEqual([p(1, 0x3424550n, 2)]);
  });

  const valid = encodeToken([p(0, 0x100n), p(1, 0x200n)]);
  const bytes = (mutate: (b: Buffer) => Buffer) => mutate(Buffer.from(valid, 'base64url')).toString('base64url');
  it.each([
    ['empty', ''],
    ['not base64url', 'AQAB+/=='],
    ['padding', `${valid}=`],
    ['spaces', ` ${valid}`],
    ['a JSON object', '{"shard":0}'],
    ['another version', bytes((b) => Buffer.concat([Buffer.from([2]), b.subarray(1)]))],
    ['version only', bytes(() => Buffer.from([1]))],
    ['truncated entry', bytes((b) => b.subarray(0, b.length - 1))],
    ['a shard beyond the topology', encodeToken([p(3, 1n)])],
    ['shards out of order', encodeToken([p(1, 1n), p(0, 1n)])],
    ['a repeated shard', encodeToken([p(1, 1n), p(1, 2n)])],
    ['timeline 0', encodeToken([p(0, 1n, 0)])],
    ['position 0', encodeToken([p(0, 0n)])],
    ['system id 0', encodeToken([p(0, 1n, 1, 0n)])],
    ['oversized', 'A'.repeat(maxTokenChars(3) + 1)],
    ['huge', 'A'.repeat(1_000_000)],
  ])('refuses %s', (_what, text) => {
    expect(() => decodeToken(text, 3)).toThrow(expect.objectContaining({ name: 'InvalidTokenError' }));
  });

  it('refuses non-canonical encodings of valid bytes', () => {
    const one = encodeToken([p(0, 1n)]);
    // The last character carries 2 spare bits; setting them yields the same bytes.
    const last = one.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) + 1]!;
    expect(Buffer.from(one.slice(0, -1) + sibling, 'base64url')).toEqual(Buffer.from(one, 'base64url'));
    expect(() => decodeToken(one.slice(0, -1) + sibling, 3)).toThrow(/not a consistency token/);
  });
});

describe('mergeTokens', () => {
  it('keeps the later position per shard on one history, and adds shards', () => {
    expect(mergeTokens([p(0, 10n), p(2, 50n)], [p(0, 5n), p(1, 7n)])).toEqual([p(0, 10n), p(1, 7n), p(2, 50n)]);
    expect(mergeTokens([p(0, 10n)], [p(0, 11n)])).toEqual([p(0, 11n)]);
  });

  it('takes the newer observation when the history changed (failover, rebuilt shard)', () => {
    expect(mergeTokens([p(0, 900n, 1)], [p(0, 100n, 2)])).toEqual([p(0, 100n, 2)]);
    expect(mergeTokens([p(0, 900n, 1)], [p(0, 100n, 1, 42n)])).toEqual([p(0, 100n, 1, 42n)]);
  });
});

describe('positionFromPg', () => {
  it('reads what the position statement returns', () => {
    expect(positionFromPg(2, { lsn: '0/3424550', timeline: 1, system_identifier: '7714531606053312562' })).toEqual(p(2, 0x3424550n));
    expect(() => positionFromPg(0, { lsn: '0/1', timeline: 0, system_identifier: '1' })).toThrow();
  });
});
