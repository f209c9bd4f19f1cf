/** One request of the reshard load and what it saw. */
export interface LoadRecord {
  readonly op: 'create' | 'update' | 'read-seeded' | 'read-strong' | 'page';
  readonly userId: string;
  readonly ok: boolean;
  readonly problem: string | null;
  readonly ms: number;
}

export interface ReshardLoad {
  readonly records: LoadRecord[];
  /** userId → the name of its last acknowledged write (create or update). */
  readonly acknowledged: Map<string, string>;
  /** Stop after the requests in flight; resolves with every record. */
  stop(): Promise<LoadRecord[]>;
}

/**
 * `clients` loops through one gateway URL, each one request after another:
 * creates, updates of its own users (so acknowledgements per user are in
 * order), EVENTUAL reads of seeded users (which must always be found), pages
 * over every shard (no user twice), and
 * STRONG reads of its acknowledged users (which must be found with their
 * last acknowledged name). Every error, transport failure, or wrong answer
 * counts as a failed request.
 */
export function startReshardLoad(url: string, opts: { clients: number; prefix: string; seeded: readonly string[] }): ReshardLoad {
  const records: LoadRecord[] = [];
  const acknowledged = new Map<string, string>();
  let stopping = false;
  const gql = async (query: string, variables: Record<string, unknown>) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(30_000),
    });
    return (await response.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
  };
  const loops = Array.from({ length: opts.clients }, async (_, c) => {
    const mine: string[] = [];
    for (let n = 0; !stopping; n++) {
      const roll = n % 5;
      const started = Date.now();
      let op: LoadRecord['op'] = 'create';
      let userId = '?';
      let problem: string | null = null;
      try {
        if (roll === 0 || mine.length === 0) {
          op = 'create';
          userId = `${opts.prefix}-c${c}-${n}`;
          const name = `created ${n}`;
          const body = await gql('mutation($i: CreateUserInput!) { createUser(input: $i) { userId } }', {
            i: { userId, name, email: `${userId}@example.com` },
          });
          if (body.errors?.length) problem = body.errors.map((e) => e.extensions?.code ?? e.message).join(',');
          else {
            acknowledged.set(userId, name);
            mine.push(userId);
          }
        } else if (roll === 1) {
          op = 'update';
          userId = mine[n % mine.length]!;
          const name = `updated ${n}`;
          const body = await gql('mutation($u: ID!, $n: String) { updateUser(userId: $u, input: { name: $n }) { name } }', {
            u: userId,
            n: name,
          });
          if (body.errors?.length) problem = body.errors.map((e) => e.extensions?.code ?? e.message).join(',');
          else acknowledged.set(userId, name);
        } else if (roll === 2) {
          op = 'read-seeded';
          userId = opts.seeded[(n * 7919 + c * 104729) % opts.seeded.length]!;
          const body = await gql('query($u: ID!) { user(userId: $u) { userId } }', { u: userId });
          if (body.errors?.length) problem = body.errors.map((e) => e.extensions?.code ?? e.message).join(',');
          else if (body.data?.user?.userId !== userId) problem = 'not found';
        } else if (roll === 4) {
          op = 'page';
          const body = await gql('query($d: UserOrder) { users(first: 50, orderBy: $d) { edges { node { userId } } } }', {
            d: n % 2 ? 'CREATED_AT_ASC' : 'CREATED_AT_DESC',
          });
          const ids: string[] = body.data?.users?.edges?.map((e: { node: { userId: string } }) => e.node.userId) ?? [];
          if (body.errors?.length) problem = body.errors.map((e) => e.extensions?.code ?? e.message).join(',');
          else if (new Set(ids).size !== ids.length)
            problem = `a user twice in one page: ${ids.filter((id, i) => ids.indexOf(id) !== i).join(',')}`;
        } else {
          op = 'read-strong';
          userId = mine[n % mine.length]!;
          const expected = acknowledged.get(userId);
          const body = await gql('query($u: ID!) { user(userId: $u, consistency: STRONG) { name } }', { u: userId });
          if (body.errors?.length) problem = body.errors.map((e) => e.extensions?.code ?? e.message).join(',');
          else if (body.data?.user?.name !== expected)
            problem = `read ${JSON.stringify(body.data?.user?.name ?? null)}, expected ${JSON.stringify(expected)}`;
        }
      } catch (err) {
        problem = `transport: ${(err as Error).message}`;
      }
      records.push({ op, userId, ok: problem === null, problem, ms: Date.now() - started });
    }
  });
  return {
    records,
    acknowledged,
    async stop() {
      stopping = true;
      await Promise.all(loops);
      return records;
    },
  };
}
