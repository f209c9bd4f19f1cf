import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatewayOptions } from '../config/gateway-options.js';
import type { Topology } from '../config/topology.js';
import type { Logger } from '../observability/logger.js';
import { startEmailClaimPruning } from '../repository/email-claim-pruning.js';
import { observeGateway, type Observability } from '../observability/observe-gateway.js';
import type { Tracing } from '../observability/start-tracing.js';
import { createApp, type App, type AppDeps } from './create-app.js';
import { createDrainableServer } from './drainable-server.js';
import { logRoleChanges } from './log-role-changes.js';
import { openShards, type Shards } from '../repository/open-shards.js';
import { tuneHeapForServing } from './tune-heap-for-serving.js';

/** How often a gateway prunes old email claim markers. */
const EMAIL_CLAIM_PRUNE_INTERVAL_MS = 60 * 60 * 1000;
export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  readonly app: App;
  readonly shards: Shards;
  /** Metrics (their registry is what /metrics serves). */
  readonly observability: Observability;
  /**
   * Graceful stop: /readyz turns 503, no new connections, in-flight requests
   * finish (their responses say `connection: close`), requests arriving on
   * kept-alive connections are refused with 503 unstarted, then pools and the
   * health checker close, then the last spans are exported. Idempotent.
   */
  close(): Promise<void>;
}

export interface StartGatewayOptions {
  readonly topology: Topology;
  readonly options: GatewayOptions;
  readonly logger: Logger;
  /** 0 picks a free port. */
  readonly port: number;
  /** @default "0.0.0.0" */
  readonly host?: string;
  readonly graphiqlDefaultQuery?: string;
  /** From startTracing: its tracer makes the spans, and close() flushes and shuts it down. @default no spans */
  readonly tracing?: Tracing;
  /** The schema with the loaded modules (see createApp). @default the built-in schema */
  readonly schema?: AppDeps['schema'];
  /** What the modules' fields cost (see createApp). */
  readonly fieldCosts?: AppDeps['fieldCosts'];
}

/** Opens the shards, probes every node once, and listens. */
export async function startGateway(opts: StartGatewayOptions): Promise<RunningGateway> {
  const { logger } = opts;
  tuneHeapForServing();
  const shards = openShards(opts.topology, opts.options, {
    log: (event, fields) => logger.warn(fields, event),
    logger,
  });
  shards.manager.onHealthChange((node, health, previous) => {
    if (health.status !== previous.status) {
      const fields = {
        node: node.id,
        address: node.address,
        from: previous.status,
        to: health.status,
        reason: health.reason,
        error: health.lastError,
      };
      if (health.status === 'ejected') logger.warn(fields, 'node ejected');
      else logger.info(fields, 'node health changed');
    }
  });
  logRoleChanges(shards.manager, logger);
  await shards.health.start();
  // A layout recorded by `shardgate reshard` wins over the file, from the first request on.
  await shards.layout.start();
  // Old email claim markers go, so that user_email_claims does not grow for ever (see EMAIL_MARKER_RETENTION_MS).
  const pruning = startEmailClaimPruning(shards.db, EMAIL_CLAIM_PRUNE_INTERVAL_MS, (event, fields) => logger.info(fields, event));
  const observability = observeGateway(shards, {
    tracer: opts.tracing?.tracer ?? null,
    processMetrics: true,
    poolMaxPerNode: opts.options.pool.max,
  });
  const app = createApp({
    shards,
    logger,
    plugins: observability.plugins,
    request: opts.options.request,
    safety: opts.options.safety,
    ...(opts.graphiqlDefaultQuery ? { graphiqlDefaultQuery: opts.graphiqlDefaultQuery } : {}),
    ...(opts.schema ? { schema: opts.schema } : {}),
    ...(opts.fieldCosts ? { fieldCosts: opts.fieldCosts } : {}),
  });
  const { server, drain } = createDrainableServer(app);
  // Keep-alive sockets must not hold a shutdown open for long.
  server.keepAliveTimeout = 5_000;
  try {
    await listen(server, opts.port, opts.host ?? '0.0.0.0');
  } catch (err) {
    pruning.stop();
    await shards.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const shownHost = !opts.host || opts.host === '0.0.0.0' || opts.host === '::' || opts.host === '127.0.0.1' ? 'localhost' : opts.host;
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      app.markShuttingDown();
      // In-flight requests get a bounded time to finish; nothing new starts.
      await drain(10_000);
      await app.dispose();
      pruning.stop();
      await shards.close();
      await opts.tracing?.shutdown();
    })());
  return { url: `http://${shownHost}:${port}/graphql`, port, app, shards, observability, close };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${port} on ${host} is already in use`) : err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
