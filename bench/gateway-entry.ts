import { parseArgs } from 'node:util';
import { loadGatewayOptions } from '../src/config/gateway-options.js';
import { loadTopologyFile } from '../src/config/load-topology.js';
import { createLogger } from '../src/observability/logger.js';
import { startTracing } from '../src/observability/start-tracing.js';
import { startGateway } from '../src/server/start-gateway.js';
import { serveOverIpc, failOverIpc } from './serve-over-ipc.js';
import { StatementRecorder } from '../testkit/statement-recorder.js';

/*
 * The gateway as the bench runs it: a child process of its own (so its RSS
 * and CPU profile are the gateway's), started the way `shardgate serve`
 * starts it — startTracing, then startGateway, with the same options from
 * the environment (SHARDGATE_POOL_MAX, OTEL_*) — plus a StatementObserver on its Database that counts statements.
 *
 *   node dist-bench/bench/gateway-entry.js --config topology.json [--port 0]
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
  const counter = new StatementRecorder({ keep: false });
  gateway.shards.db.addObserver(counter);
  serveOverIpc(gateway.port, {
    statements: () => counter.count,
    hedges: () => counter.hedges,
    resetStatements: () => counter.reset(),
    close: () => gateway.close(),
  });
}

run().catch(failOverIpc);
