import { loadGatewayOptions, withoutFailoverBuffer } from '../config/gateway-options.js';
import { loadTopologyFile } from '../config/load-topology.js';
import { ReadPolicy } from '../sharding/read-policy.js';
import { Scatter } from '../sharding/scatter.js';
import { routeAll } from '../sharding/shard-route.js';
import { openShards } from '../repository/open-shards.js';
import type { CliIo } from './cli-io.js';
import { configPath, intFlag, parseFlags } from './parse-flags.js';
import { seedDemoOrders } from './seed-demo-orders.js';
import { seedDemoUsers } from './seed-demo-users.js';

export const SEED_HELP = `Usage: shardgate seed --config F [--count 3000]

Insert demo users user-1..user-N, each on its shard (fnv1a32(userId) % N).
Idempotent: users that exist are left as they are. Prints how the users
spread over the shards.

Options:
  --config F    topology file (default: $SHARDGATE_CONFIG)
  --count N     how many demo users (default 3000)
  -h, --help    show this help`;

export async function runSeedCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(argv, { config: { type: 'string' }, count: { type: 'string' } }, 'seed');
  if (values.help) {
    io.out(SEED_HELP);
    return 0;
  }
  const count = intFlag(values.count as string | undefined, 'count', 3000, 0, 10_000_000);
  const topology = loadTopologyFile(configPath(values.config as string | undefined, 'seed'));
  const shards = openShards(topology, withoutFailoverBuffer(loadGatewayOptions()));
  try {
    const inserted = await seedDemoUsers(shards.users, shards.manager.shardCount, count);
    const orders = await seedDemoOrders(shards.door, shards.manager.shardCount, count);
    const totals = await new Scatter().all(routeAll(shards.manager.shardCount), (shardId) =>
      shards.users.countOnShard(shardId, ReadPolicy.PrimaryOnly),
    );
    io.out(`seeded ${inserted.reduce((a, b) => a + b, 0)} new user(s); users per shard:`);
    totals.forEach((n, shardId) => io.out(`  shard ${shardId}: ${n}`));
    io.out(`seeded ${orders} new demo order(s)`);
    return 0;
  } finally {
    await shards.close();
  }
}
