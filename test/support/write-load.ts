import type { GatewayFixture } from './gateway-fixture.js';
import { fnv1a32 } from '../../src/sharding/fnv1a32.js';
import { emailBesideUser } from './email-on-shard.js';

export interface WriteRecord {
  readonly userId: string;
  readonly shardId: number;
  readonly start: number;
  readonly end: number;
  readonly ok: boolean;
  /** `extensions.code` of a failed write, or the transport error. */
  readonly code: string | null;
}

export interface WriteLoad {
  readonly records: WriteRecord[];
  /** Stops the writers after their current write and returns every record. */
  stop(): Promise<WriteRecord[]>;
}

/**
 * `writers` concurrent loops, each creating users one after another (ids
 * `${prefix}-w${i}-${n}`, so spread over every shard) until stopped. Each
 * write's outcome and timing is recorded: what the failover tests measure.
 */
export function startWriteLoad(
  writers: number,
  prefix: string,
  shardCount: number,
  send: (userId: string) => Promise<{ ok: boolean; code: string | null }>,
): WriteLoad {
  const records: WriteRecord[] = [];
  let stopping = false;
  const loops = Array.from({ length: writers }, async (_, w) => {
    for (let n = 0; !stopping; n++) {
      const userId = `${prefix}-w${w}-${n}`;
      const start = Date.now();
      let result: { ok: boolean; code: string | null };
      try {
        result = await send(userId);
      } catch (err) {
        result = { ok: false, code: (err as Error).message };
      }
      records.push({ userId, shardId: fnv1a32(userId) % shardCount, start, end: Date.now(), ...result });
    }
  });
  return {
    records,
    async stop() {
      stopping = true;
      await Promise.all(loops);
      return records;
    },
  };
}

/** The failover numbers of one shard: failed writes, and the outage from the first failure to the first success after it. */
export function measureOutage(records: readonly WriteRecord[], shardId: number) {
  const mine = records.filter((r) => r.shardId === shardId).sort((a, b) => a.end - b.end);
  const failed = mine.filter((r) => !r.ok);
  const firstFailure = failed[0] ?? null;
  const recovered = firstFailure ? (mine.find((r) => r.ok && r.end > firstFailure.end) ?? null) : null;
  return {
    writes: mine.length,
    failed: failed.length,
    outageMs: firstFailure && recovered ? recovered.end - firstFailure.end : 0,
    firstFailure,
  };
}

/**
 * A write for `startWriteLoad`: createUser through the gateway, its outcome as
 * the code of its first error. Each user's email lives on the user's own shard
 * (of `shardCount`), so a write touches that shard alone and a fault on one
 * shard fails only the writes of its own users.
 */
export function createUserThrough(
  fx: { gql: GatewayFixture['gql'] },
  shardCount: number,
): (userId: string) => Promise<{ ok: boolean; code: string | null }> {
  return async (userId) => {
    const r = await fx.gql(`mutation($u: CreateUserInput!) { createUser(input: $u) { userId } }`, {
      u: { userId, name: 'N', email: emailBesideUser(userId, shardCount) },
    });
    return r.errors ? { ok: false, code: String(r.errors[0]!.extensions?.code ?? r.errors[0]!.message) } : { ok: true, code: null };
  };
}
