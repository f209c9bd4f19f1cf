import { resolve } from 'node:path';
import { killClusterSync } from '../cluster/kill-cluster-sync.js';
import { clusterDown, clusterUp } from '../cluster/local-cluster.js';
import { loadCommandEnv } from '../config/command-env.js';
import { loadGatewayOptions } from '../config/gateway-options.js';
import { loadTopologyFile } from '../config/load-topology.js';
import { createLogger } from '../observability/logger.js';
import { startTracing, type Tracing } from '../observability/start-tracing.js';
import { migrateAll } from '../repository/migrations.js';
import { applyModules } from '../modules/apply-modules.js';
import { loadModules, modulePaths } from '../modules/load-modules.js';
import { migrateModules } from '../modules/module-migrations.js';
import { ReadPolicy } from '../sharding/read-policy.js';
import { Scatter } from '../sharding/scatter.js';
import { routeAll } from '../sharding/shard-route.js';
import { reloadTopology } from '../server/reload-topology.js';
import { startGateway } from '../server/start-gateway.js';
import { surviveStrayErrors } from '../server/survive-stray-errors.js';
import type { CliIo } from './cli-io.js';
import { intFlag, parseFlags } from './parse-flags.js';
import { seedDemoOrders } from './seed-demo-orders.js';
import { seedDemoUsers } from './seed-demo-users.js';
import { onReloadSignal } from './on-reload-signal.js';
import { waitForSignal } from './wait-for-signal.js';

export const DEV_HELP = `Usage: shardgate dev [--dir .shardgate] [--port 4000] [--base-port 54320] [--users 3000] [--module PATH ...]

What \`npm start\` runs: boot (or resume) a local cluster of 3 shards, each a
primary plus 1 streaming replica, apply the schema, seed demo users, and
serve the gateway with GraphiQL. Ctrl-C stops the gateway and the cluster.
SIGHUP re-reads D/topology.json (see \`shardgate serve --help\`).
The data stays in --dir for the next start.

Options:
  --dir D          cluster directory (default .shardgate)
  --port P         gateway port (default: $PORT, else 4000)
  --base-port B    first PostgreSQL port (default 54320)
  --shards N       shards (default 3)
  --replicas N     replicas per shard (default 1)
  --users N        demo users to seed (default 3000)
  --module PATH    a module to migrate and serve (repeatable; default:
                   $SHARDGATE_MODULES, comma-separated); see docs/modules.md
  -h, --help       show this help`;

export async function runDevCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      dir: { type: 'string' },
      port: { type: 'string' },
      'base-port': { type: 'string' },
      shards: { type: 'string' },
      replicas: { type: 'string' },
      users: { type: 'string' },
      module: { type: 'string', multiple: true },
    },
    'dev',
  );
  if (values.help) {
    io.out(DEV_HELP);
    return 0;
  }
  const dir = resolve((values.dir as string | undefined) ?? '.shardgate');
  const env = loadCommandEnv();
  const port = intFlag((values.port as string | undefined) ?? env.port, 'port', 4000, 0, 65535);
  const basePort = intFlag(values['base-port'] as string | undefined, 'base-port', 54320, 1024, 65000);
  const shardCount = intFlag(values.shards as string | undefined, 'shards', 3, 1, 64);
  const replicas = intFlag(values.replicas as string | undefined, 'replicas', 1, 0, 8);
  const userCount = intFlag(values.users as string | undefined, 'users', 3000, 0, 1_000_000);
  // Before the cluster starts: a module that cannot load stops the command with nothing started.
  const modules = await loadModules(modulePaths(values.module as string[] | undefined, env.modules));
  const { schema, fieldCosts } = applyModules(modules);
  // The terminal is for the progress lines above: only warnings unless LOG_LEVEL says otherwise.
  const logger = createLogger(env.logLevel ?? 'warn');
  // A fatal error must not leave the cluster this command started running.
  surviveStrayErrors(logger, {
    exit: (code) => {
      killClusterSync(dir);
      process.exit(code);
    },
  });

  // Ctrl-C during boot must still stop what was started.
  let interrupted = false;
  const signal = waitForSignal().then((s) => {
    interrupted = true;
    return s;
  });
  const stopCluster = async () => {
    io.out('stopping the local cluster...');
    await clusterDown(dir).catch((err: Error) => io.err(`error: could not stop the cluster: ${err.message}`));
  };

  io.out(`starting the local cluster in ${dir} (${shardCount} shards x (primary + ${replicas} replica))...`);
  let gateway;
  let tracing: Tracing | undefined;
  let reloadPath = '';
  try {
    const { topologyPath } = await clusterUp(
      { dir, shards: shardCount, replicas, basePort },
      { onProgress: (line) => io.out(`  ${line}`) },
    );
    if (interrupted) throw new Error('interrupted');
    const topology = loadTopologyFile(topologyPath);
    reloadPath = topologyPath;
    tracing = await startTracing();
    logger.info({ reason: tracing.reason }, tracing.enabled ? 'tracing on' : 'tracing off');
    gateway = await startGateway({
      topology,
      options: loadGatewayOptions(),
      logger,
      port,
      host: '127.0.0.1',
      tracing,
      schema,
      fieldCosts,
    });
    io.out('applying the schema...');
    await migrateAll(gateway.shards.db);
    if (modules.length > 0) {
      io.out(`applying the migrations of module(s) ${modules.map((m) => m.name).join(', ')}...`);
      await migrateModules(gateway.shards.db, modules);
    }
    io.out(`seeding ${userCount} demo users and their orders...`);
    await seedDemoUsers(gateway.shards.users, gateway.shards.manager.shardCount, userCount);
    await seedDemoOrders(gateway.shards.door, gateway.shards.manager.shardCount, userCount);
    const counts = await new Scatter().all(routeAll(gateway.shards.manager.shardCount), (shardId) =>
      gateway!.shards.users.countOnShard(shardId, ReadPolicy.PrimaryOnly),
    );
    io.out(`users per shard (fnv1a32(userId) % ${shardCount}): ${counts.map((n, i) => `shard ${i}: ${n}`).join(', ')}`);
    io.out('');
    io.out(`GraphiQL: ${gateway.url}`);
    io.out(`Metrics:  ${gateway.url.replace('/graphql', '/metrics')}`);
    io.out('Press Ctrl-C to stop the gateway and the cluster.');
  } catch (err) {
    await gateway?.close();
    await tracing?.shutdown();
    await stopCluster();
    if (interrupted) return 130;
    throw err;
  }
  const running = gateway;
  const stopReloading = onReloadSignal(() => reloadTopology(running.shards, reloadPath, logger));
  await signal;
  stopReloading();
  io.out('shutting down...');
  await gateway.close();
  await stopCluster();
  return 0;
}
