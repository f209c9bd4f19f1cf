import { pino } from 'pino';
import { loadGatewayOptions, type GatewayOptions } from '../../src/config/gateway-options.js';
import { loadTopologyFile } from '../../src/config/load-topology.js';
import { observeGateway, type Observability, type ObserveGatewayOptions } from '../../src/observability/observe-gateway.js';
import { migrateAll } from '../../src/repository/migrations.js';
import { createApp, type App } from '../../src/server/create-app.js';
import { openShards, type Shards } from '../../src/repository/open-shards.js';
import { StatementRecorder } from '../../testkit/statement-recorder.js';

export interface GatewayFixture {
  shards: Shards;
  app: App;
  recorder: StatementRecorder;
  /** Metrics (and spans), when the fixture was opened with `observe`. */
  observability?: Observability;
  /** POST a GraphQL operation through `app.fetch` (no port). */
  gql<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GqlResponse<T>>;
  close(): Promise<void>;
}

export interface GqlResponse<T> {
  status: number;
  data: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

/**
 * Options for tests: fast health rounds, quick ejection, short timeouts. A
 * stopped node refuses connections at once, so the probe timeout only has to
 * catch a stalled one; it is generous so that a busy machine's slow probe does
 * not eject a healthy node and move reads a test expects on replicas.
 */
export function testGatewayOptions(overrides: Partial<GatewayOptions['health']> = {}): GatewayOptions {
  const base = loadGatewayOptions({});
  return {
    pool: { ...base.pool, max: 4, connectTimeoutMs: 1000, statementTimeoutMs: 5000 },
    health: { ...base.health, intervalMs: 200, timeoutMs: 1500, failuresToEject: 1, ...overrides },
    request: base.request,
    failover: base.failover,
    safety: base.safety,
    emails: base.emails,
    // Off: a hedge is a second statement, sent only when a read is slow, and tests count statements on
    // machines of every speed. The tests of hedging turn it on.
    hedge: { afterMs: 'auto', budgetPercent: 0 },
  };
}

/**
 * Shards (migrated, health-checked once), the app over them, and a statement
 * recorder at the door; with `observe`, metrics at /metrics and spans (given a tracer).
 */
export async function openGatewayFixture(
  topologyPath: string,
  options: GatewayOptions = testGatewayOptions(),
  observe?: ObserveGatewayOptions,
): Promise<GatewayFixture> {
  const recorder = new StatementRecorder();
  const shards = openShards(loadTopologyFile(topologyPath), options, { observers: [recorder] });
  await migrateAll(shards.db);
  await shards.health.start();
  const observability = observe ? observeGateway(shards, { poolMaxPerNode: options.pool.max, ...observe }) : undefined;
  const app = createApp({
    shards,
    logger: pino({ level: 'silent' }),
    request: options.request,
    safety: options.safety,
    ...(observability ? { plugins: observability.plugins } : {}),
  });
  recorder.reset();
  return {
    shards,
    app,
    recorder,
    ...(observability ? { observability } : {}),
    async gql(query, variables, headers) {
      const response = await app.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data: any; errors?: GqlResponse<unknown>['errors'] };
      return { status: response.status, data: body.data, ...(body.errors ? { errors: body.errors } : {}) };
    },
    async close() {
      await app.dispose();
      await shards.close();
    },
  };
}

// Replication is asynchronous: the tests that use a fixture wait on conditions.
export { eventually } from '../../testkit/eventually.js';

/** A real gateway listening on a free 127.0.0.1 port, with test options and silent logs. */
export async function startTestGateway(
  topologyPath: string,
  extra: { graphiqlDefaultQuery?: string; migrate?: boolean; options?: GatewayOptions } = {},
) {
  const { startGateway } = await import('../../src/server/start-gateway.js');
  const gateway = await startGateway({
    topology: loadTopologyFile(topologyPath),
    options: extra.options ?? testGatewayOptions(),
    logger: pino({ level: 'silent' }),
    port: 0,
    host: '127.0.0.1',
    ...(extra.graphiqlDefaultQuery ? { graphiqlDefaultQuery: extra.graphiqlDefaultQuery } : {}),
  });
  if (extra.migrate !== false) await migrateAll(gateway.shards.db);
  return gateway;
}
