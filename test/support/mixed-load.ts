import { shardIdFor } from '../../src/sharding/shard-id-for.js';

/** What one request of the load saw. */
export interface LoadResult {
  readonly op: 'create' | 'read' | 'byIds' | 'page';
  /** When the request was sent, ms since the epoch. */
  readonly startedAt: number;
  /** When the response (or the transport failure) arrived, ms since the epoch. */
  readonly at: number;
  /** Shards the request needed. */
  readonly shards: readonly number[];
  /** No GraphQL error and an HTTP answer. */
  readonly ok: boolean;
  /** GraphQL errors: their codes and the shard each names. */
  readonly errors: readonly { code: string | undefined; shardId: number | undefined; message: string }[];
  /** The gateway did not answer at all (refused, reset, timed out): never acceptable. */
  readonly transportError?: string;
}

export interface MixedLoadOptions {
  readonly url: string;
  readonly shardCount: number;
  /** Concurrent clients. @default 8 */
  readonly clients?: number;
  /** Prefix of the userIds this load creates (unique per run). */
  readonly idPrefix: string;
  /** A request that takes longer than this is a transport failure. @default 20000 */
  readonly requestTimeoutMs?: number;
  /** Chooses each request and the user it names (a seeded source makes the choices reproducible). @default Math.random */
  readonly random?: () => number;
}

export interface MixedLoad {
  readonly results: LoadResult[];
  /** userIds whose createUser was acknowledged (answered without error). */
  readonly acknowledged: string[];
  /** Stop the clients and wait for their last requests. */
  stop(): Promise<void>;
}

/**
 * Concurrent clients, each sending one request after another: writes
 * (createUser), point reads and batched reads of users written earlier, and
 * pages over every shard. Ids are spread over all shards. Nothing here
 * judges; the results are for the test to assert on.
 */
export function startMixedLoad(opts: MixedLoadOptions): MixedLoad {
  const results: LoadResult[] = [];
  const acknowledged: string[] = [];
  const allShards = Array.from({ length: opts.shardCount }, (_, i) => i);
  let running = true;
  let seq = 0;

  const send = async (op: LoadResult['op'], shards: readonly number[], query: string, variables: Record<string, unknown>) => {
    const startedAt = Date.now();
    try {
      const response = await fetch(`${opts.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(opts.requestTimeoutMs ?? 20_000),
      });
      const body = (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
      const errors = (body.errors ?? []).map((e) => ({
        code: e.extensions?.code as string | undefined,
        shardId: e.extensions?.shardId as number | undefined,
        message: e.message,
      }));
      const result: LoadResult = { op, startedAt, at: Date.now(), shards, ok: errors.length === 0 && response.status === 200, errors };
      results.push(result);
      return result;
    } catch (err) {
      const result: LoadResult = { op, startedAt, at: Date.now(), shards, ok: false, errors: [], transportError: String(err) };
      results.push(result);
      return result;
    }
  };

  const random = opts.random ?? Math.random;
  const pick = () => acknowledged[Math.floor(random() * acknowledged.length)]!;

  const client = async () => {
    while (running) {
      const roll = random();
      if (roll < 0.35 || acknowledged.length < 10) {
        const userId = `${opts.idPrefix}-${seq++}`;
        const result = await send(
          'create',
          [shardIdFor(userId, opts.shardCount)],
          'mutation($i: CreateUserInput!) { createUser(input: $i) { userId } }',
          { i: { userId, name: 'Chaos', email: `${userId}@example.com` } },
        );
        if (result.ok) acknowledged.push(userId);
      } else if (roll < 0.6) {
        const userId = pick();
        await send('read', [shardIdFor(userId, opts.shardCount)], 'query($u: ID!) { user(userId: $u) { userId name } }', { u: userId });
      } else if (roll < 0.8) {
        const ids = Array.from({ length: 6 }, pick);
        const shards = [...new Set(ids.map((id) => shardIdFor(id, opts.shardCount)))];
        await send('byIds', shards, 'query($ids: [ID!]!) { usersByIds(userIds: $ids) { userId } }', { ids });
      } else {
        await send('page', allShards, '{ users(first: 10, orderBy: CREATED_AT_DESC) { edges { node { userId } } } }', {});
      }
    }
  };

  const clients = Array.from({ length: opts.clients ?? 8 }, () => client());
  return {
    results,
    acknowledged,
    async stop() {
      running = false;
      await Promise.all(clients);
    },
  };
}
