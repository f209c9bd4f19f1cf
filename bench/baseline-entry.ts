import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadTopologyFile } from '../src/config/load-topology.js';
import { countingDb, createBaselineYoga } from './baseline-server.js';
import { failOverIpc, serveOverIpc } from './serve-over-ipc.js';

/*
 * The baseline server in its own process, on shard 0's primary of a
 * one-shard topology (the bench's unsharded PostgreSQL). The pool gets the
 * same size as each of the gateway's pools (SHARDGATE_POOL_MAX).
 * BASELINE_PREPARED=1 makes it the careful baseline (named statements).
 *
 *   node dist-bench/bench/baseline-entry.js --config topology.json [--port 0]
 */
async function run(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string' }, port: { type: 'string', default: '0' } } });
  if (!values.config) throw new Error('--config is required');
  const node = loadTopologyFile(values.config).shards[0]!.primary;
  const pool = new pg.Pool({
    host: node.host,
    port: node.port,
    user: node.user,
    password: node.password || undefined,
    database: node.dbname,
    max: Number(process.env.SHARDGATE_POOL_MAX ?? 10),
    options: '-c TimeZone=UTC',
  });
  pool.on('error', () => {});
  const db = countingDb(pool, process.env.BASELINE_PREPARED === '1');
  const server = createServer(createBaselineYoga(db));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(values.port), '127.0.0.1', resolve);
  });
  serveOverIpc((server.address() as AddressInfo).port, {
    statements: () => db.statements,
    resetStatements: () => {
      db.statements = 0;
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await pool.end();
    },
  });
}

run().catch(failOverIpc);
