import { parseArgs } from 'node:util';
import { loadGatewayOptions } from '../config/gateway-options.js';
import { loadTopologyFile } from '../config/load-topology.js';
import { createLogger } from '../observability/logger.js';
import { startTracing } from '../observability/start-tracing.js';
import { startGateway } from '../server/start-gateway.js';
import { serveOverIpc, failOverIpc } from './serve-over-ipc.js';
import { StatementCounter } from './statement-counter.js';

/*
 * The gateway as the bench runs it: a child process of its own (so its RSS
 * and CPU profile are the gateway's), started the way `shardgate serve`
 * starts it — startTracing, then startGateway, with the same options from
 * the environment (SHARDGATE_POOL_MAX, OTEL_*) — plus a StatementObserver on its Database that counts statements.
 *
 *   node dist/bench/gateway-entry.js --config topology.json [--port 0]
 */
async function run(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string' }, port: { type: 'string', default: '0' } } });
  if (!values.config) throw new Error('--config is required');
  const tracing = await startTracing();
  const gateway = await startGateway({
    topology: loadTopologyFile(values.config),
    options: loadGatewayOptions(),
    logger: createLogger(),
    port: Number(values.port),
    host: '127.0.0.1',
    tracing,
  });
  const counter = new StatementCounter();
  gateway.shards.db.addObserver(counter);
  serveOverIpc(gateway.port, {
    statements: () => counter.count,
    resetStatements: () => {
      counter.count = 0;
    },
    close: () => gateway.close(),
  });
}

run().catch(failOverIpc);
