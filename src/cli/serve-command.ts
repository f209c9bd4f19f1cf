import { loadCommandEnv } from '../config/command-env.js';
import { loadGatewayOptions, withoutFailoverBuffer } from '../config/gateway-options.js';
import { loadTopologyFile } from '../config/load-topology.js';
import { createLogger } from '../observability/logger.js';
import { startTracing } from '../observability/start-tracing.js';
import { reloadTopology } from '../server/reload-topology.js';
import { startGateway } from '../server/start-gateway.js';
import { surviveStrayErrors } from '../server/survive-stray-errors.js';
import { applyModules } from '../modules/apply-modules.js';
import { loadModules, ModuleLoadError, modulePaths } from '../modules/load-modules.js';
import { unappliedModuleMigrations } from '../modules/module-migrations.js';
import { openShards } from '../repository/open-shards.js';
import type { CliIo } from './cli-io.js';
import { configPath, intFlag, parseFlags } from './parse-flags.js';
import { onReloadSignal } from './on-reload-signal.js';
import { isWorkerProcess, joinPrimary, parseWorkers, runPrimary } from './serve-workers.js';
import { waitForSignal } from './wait-for-signal.js';

export const SERVE_HELP = `Usage: shardgate serve --config F [--port 4000] [--host 0.0.0.0] [--workers 1] [--module PATH ...]

Run the gateway: GraphQL and GraphiQL at /graphql, /healthz, /readyz, /metrics.
SIGINT/SIGTERM stop it gracefully (in-flight requests finish, pools close).
SIGHUP re-reads the topology file: added, removed or changed nodes take
effect without dropping a request; an invalid file, or one that changes the
shard count, is refused (logged) and the running topology stays.

Options:
  --config F    topology file (default: $SHARDGATE_CONFIG)
  --port P      port (default: $PORT, else 4000)
  --host H      address to listen on (default: $HOST, else 0.0.0.0)
  --module PATH a module to serve (repeatable; default: $SHARDGATE_MODULES,
                comma-separated); see docs/modules.md
  --workers N   worker processes on the one port (default 1; auto = one per CPU).
                Each worker has its own pools: SHARDGATE_POOL_MAX x workers x
                gateways must stay within each node's max_connections.
                /metrics answers for all of them; SIGHUP reloads and SIGTERM
                drains every worker; a worker that dies is replaced.
  -h, --help    show this help

Tuning (environment): SHARDGATE_POOL_MAX, SHARDGATE_CONNECT_TIMEOUT_MS,
SHARDGATE_STATEMENT_TIMEOUT_MS, SHARDGATE_HEALTH_INTERVAL_MS,
SHARDGATE_HEALTH_TIMEOUT_MS, SHARDGATE_HEALTH_FAILURES_TO_EJECT,
SHARDGATE_MAX_REPLICA_LAG_SECONDS, SHARDGATE_POOL_QUEUE_MAX, SHARDGATE_FAILOVER_BUFFER_MS
(default 5000, 0 = off), SHARDGATE_FAILOVER_BUFFER_MAX (default 1000), LOG_LEVEL.

Deadlines and read-your-writes (environment; see docs/consistency.md):
SHARDGATE_REQUEST_TIMEOUT_MS (10000), SHARDGATE_CONSISTENCY_WAIT_MS (50).

Request safety (environment; see docs/request-safety.md):
SHARDGATE_MAX_DEPTH (8), SHARDGATE_MAX_ALIASES (30), SHARDGATE_MAX_TOKENS (2000),
SHARDGATE_MAX_STATEMENTS (64), SHARDGATE_MAX_REPRESENTATIONS (10000),
SHARDGATE_MAX_BODY_BYTES (262144), SHARDGATE_CORS_ORIGINS, SHARDGATE_INTROSPECTION,
SHARDGATE_TRUSTED_DOCUMENTS.

Tracing (OpenTelemetry, off unless an exporter is configured):
  OTEL_EXPORTER_OTLP_ENDPOINT (e.g. http://localhost:4318), or
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_TRACES_EXPORTER=otlp|console;
  OTEL_EXPORTER_OTLP_PROTOCOL http/protobuf (default) or http/json;
  OTEL_SERVICE_NAME (default shardgate), OTEL_TRACES_SAMPLER. See docs/observability.md.`;

export async function runServeCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      config: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      workers: { type: 'string' },
      module: { type: 'string', multiple: true },
    },
    'serve',
  );
  if (values.help) {
    io.out(SERVE_HELP);
    return 0;
  }
  const env = loadCommandEnv();
  const port = intFlag((values.port as string | undefined) ?? env.port, 'port', 4000, 0, 65535);
  const host = (values.host as string | undefined) ?? env.host ?? '0.0.0.0';
  const workers = parseWorkers(values.workers as string | undefined);
  const topologyPath = configPath(values.config as string | undefined, 'serve', env);
  const topology = loadTopologyFile(topologyPath);
  const options = loadGatewayOptions();
  // A module that cannot load, or clashes, stops the command here: nothing is served.
  const modules = await loadModules(modulePaths(values.module as string[] | undefined, env.modules));
  const { schema, fieldCosts } = applyModules(modules);
  // Their tables must exist before anything is served (a worker's primary has checked already).
  if (modules.length > 0 && !(workers > 1 && isWorkerProcess())) await requireModuleMigrations(topology, options, modules);
  const logger = createLogger(env.logLevel ?? 'info');
  surviveStrayErrors(logger);
  const worker = workers > 1 && isWorkerProcess();
  // The primary checks the file and options above (a bad one fails here, once), then only supervises.
  if (workers > 1 && !worker) return runPrimary({ workers, logger, out: io.out });
  // A SIGHUP before the reload handler is installed must not end a starting worker (its file is fresh anyway).
  if (worker) process.on('SIGHUP', () => {});
  const tracing = await startTracing();
  logger.info({ reason: tracing.reason }, tracing.enabled ? 'tracing on' : 'tracing off');
  let gateway;
  try {
    gateway = await startGateway({ topology, options, logger, port, host, tracing, schema, fieldCosts });
  } catch (err) {
    await tracing.shutdown();
    throw err;
  }
  const stopReloading = onReloadSignal(() => reloadTopology(gateway.shards, topologyPath, logger));
  if (modules.length > 0) logger.info({ modules: modules.map((m) => ({ name: m.name, path: m.path })) }, 'modules loaded');
  if (worker) joinPrimary(gateway.observability.metrics, gateway.url);
  else io.out(`shardgate is serving ${topology.shards.length} shard(s); GraphiQL: ${gateway.url}`);
  const signal = await waitForSignal();
  stopReloading();
  logger.info({ signal }, 'shutting down');
  await gateway.close();
  // A worker's channel to its primary would keep it alive.
  if (worker) process.disconnect();
  return 0;
}

/** Refuses to serve modules whose migrations some reachable primary lacks (a shard that cannot be asked now is not held against them). */
async function requireModuleMigrations(
  topology: Parameters<typeof openShards>[0],
  options: Parameters<typeof openShards>[1],
  modules: Parameters<typeof unappliedModuleMigrations>[1],
): Promise<void> {
  const shards = openShards(topology, withoutFailoverBuffer(options));
  try {
    await shards.health.checkOnce();
    const problems = await unappliedModuleMigrations(shards.db, modules);
    if (problems.length > 0) throw new ModuleLoadError(problems[0]!);
  } finally {
    await shards.close();
  }
}
