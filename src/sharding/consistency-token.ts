import { parseLsn } from './replica-lag.js';

/**
 * Where one shard's history stood after a write: the WAL position a node must
 * have replayed to see it, and what identifies that history. The system
 * identifier names the cluster (equal on every node cloned from one initdb),
 * the timeline changes at every promotion: a position is only comparable with
 * positions of the same system and timeline.
 */
export interface ShardPosition {
  readonly shardId: number;
  readonly systemId: bigint;
  readonly timeline: number;
  readonly lsn: bigint;
}

/** Per shard, at most one position; shard ids ascending. */
export type ConsistencyToken = readonly ShardPosition[];

const VERSION = 1;
const ENTRY_BYTES = 2 + 4 + 8 + 8;
const MAX_U64 = (1n << 64n) - 1n;
/** Refused before decoding, whatever the shard count: nothing large is ever decoded. */
export const MAX_TOKEN_CHARS = 4096;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** A token that is not one this gateway issues. The message names what is wrong, for the client. */
export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
}

/**
 * `01` then per shard `shardId u16 | timeline u32 | systemId u64 | lsn u64`,
 * big-endian, as unpadded base64url: 30 characters per shard, opaque to
 * clients, safe in a header. The leading version byte lets a later format be
 * told apart.
 */
export function encodeToken(token: ConsistencyToken): string {
  const buf = Buffer.alloc(1 + ENTRY_BYTES * token.length);
  buf.writeUInt8(VERSION, 0);
  token.forEach((p, i) => {
    const at = 1 + i * ENTRY_BYTES;
    buf.writeUInt16BE(p.shardId, at);
    buf.writeUInt32BE(p.timeline, at + 2);
    buf.writeBigUInt64BE(p.systemId, at + 6);
    buf.writeBigUInt64BE(p.lsn, at + 14);
  });
  return buf.toString('base64url');
}

/**
 * Strict: a canonical encoding of version 1, at least one shard, shard ids
 * ascending without repeats and below `shardCount`, a timeline, a system
 * identifier and a position that PostgreSQL could have produced. Anything
 * else throws InvalidTokenError.
 */
export function decodeToken(text: string, shardCount: number): ConsistencyToken {
  if (text.length === 0) throw new InvalidTokenError('empty');
  if (text.length > maxTokenChars(shardCount)) throw new InvalidTokenError('too long');
  if (!BASE64URL.test(text)) throw new InvalidTokenError('not a consistency token');
  const buf = Buffer.from(text, 'base64url');
  // Rejects encodings that decode to the same bytes (stray bits in the last character).
  if (buf.toString('base64url') !== text) throw new InvalidTokenError('not a consistency token');
  if (buf.length < 1 || buf.readUInt8(0) !== VERSION) throw new InvalidTokenError('unknown token version');
  if (buf.length === 1 || (buf.length - 1) % ENTRY_BYTES !== 0) throw new InvalidTokenError('truncated');
  const positions: ShardPosition[] = [];
  for (let at = 1; at < buf.length; at += ENTRY_BYTES) {
    const p: ShardPosition = {
      shardId: buf.readUInt16BE(at),
      timeline: buf.readUInt32BE(at + 2),
      systemId: buf.readBigUInt64BE(at + 6),
      lsn: buf.readBigUInt64BE(at + 14),
    };
    if (p.shardId >= shardCount) throw new InvalidTokenError(`names shard ${p.shardId}, but there are ${shardCount}`);
    const previous = positions.at(-1);
    if (previous && p.shardId <= previous.shardId) throw new InvalidTokenError('shards out of order');
    if (p.timeline === 0 || p.systemId === 0n || p.lsn === 0n) throw new InvalidTokenError('not a consistency token');
    positions.push(p);
  }
  return positions;
}

/** The longest token `shardCount` shards can produce. */
export function maxTokenChars(shardCount: number): number {
  return Math.min(MAX_TOKEN_CHARS, Math.ceil(((1 + ENTRY_BYTES * shardCount) * 4) / 3));
}

/**
 * `newer` over `older`, per shard: on the same history the later position
 * wins; on different histories (a failover or a rebuilt shard in between)
 * the newer observation wins, since it is what the shard holds now.
 */
export function mergeTokens(older: ConsistencyToken, newer: ConsistencyToken): ConsistencyToken {
  const byShard = new Map<number, ShardPosition>();
  for (const p of older) byShard.set(p.shardId, p);
  for (const p of newer) {
    const old = byShard.get(p.shardId);
    const sameHistory = old !== undefined && old.systemId === p.systemId && old.timeline === p.timeline;
    byShard.set(p.shardId, sameHistory && old.lsn > p.lsn ? old : p);
  }
  return [...byShard.values()].sort((a, b) => a.shardId - b.shardId);
}

/** A position as PostgreSQL reports it (`pg_lsn` text, timeline, system identifier text). */
export function positionFromPg(shardId: number, row: { lsn: string; timeline: number; system_identifier: string }): ShardPosition {
  const systemId = BigInt(row.system_identifier);
  if (systemId <= 0n || systemId > MAX_U64 || !Number.isInteger(row.timeline) || row.timeline < 1) {
    throw new Error(`unexpected WAL position from shard ${shardId}: ${JSON.stringify(row)}`);
  }
  return { shardId, systemId, timeline: row.timeline, lsn: parseLsn(row.lsn) };
}
