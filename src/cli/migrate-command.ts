import { loadGatewayOptions, withoutFailoverBuffer } from '../config/gateway-options.js';
import { loadTopologyFile } from '../config/load-topology.js';
import { migrateAll } from '../repository/migrations.js';
import { openShards } from '../repository/open-shards.js';
import type { CliIo } from './cli-io.js';
import { configPath, parseFlags } from './parse-flags.js';

export const MIGRATE_HELP = `Usage: shardgate migrate --config F

Create or upgrade the schema on every shard's primary (replicas receive it
through replication). Idempotent: running it again changes nothing.

Options:
  --config F   topology file (default: $SHARDGATE_CONFIG)
  -h, --help   show this help`;

export async function runMigrateCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(argv, { config: { type: 'string' } }, 'migrate');
  if (values.help) {
    io.out(MIGRATE_HELP);
    return 0;
  }
  const topology = loadTopologyFile(configPath(values.config as string | undefined, 'migrate'));
  const shards = openShards(topology, withoutFailoverBuffer(loadGatewayOptions()));
  try {
    const results = await migrateAll(shards.db);
    for (const { shardId, applied } of results) {
      io.out(`shard ${shardId}: ${applied.length === 0 ? 'up to date' : `applied version(s) ${applied.join(', ')}`}`);
    }
    return 0;
  } finally {
    await shards.close();
  }
}
