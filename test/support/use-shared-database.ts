import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import { requireClusterSpec } from '../../src/cluster/cluster-files.js';
import { clusterNodes, topologyOf } from '../../src/cluster/cluster-layout.js';
import { createDatabaseIfMissing, waitForDatabase } from '../../src/cluster/cluster-admin.js';

export interface SharedDatabase {
  /** A topology file naming `dbname` on the shared cluster. */
  topologyPath: string;
  topology: unknown;
  dbname: string;
}

/**
 * A fresh, empty database `t_<prefix>_<random>` on every node of the shared
 * cluster booted by test/global-setup.ts: test files share the PostgreSQL
 * processes but not the data. It exists on every replica when this returns.
 * The test runs its migrations itself; everything goes when the run ends.
 * Every project whose tests use it has test/global-setup.ts.
 */
export async function useSharedDatabase(prefix: string): Promise<SharedDatabase> {
  const dir = inject('sharedClusterDir');
  if (!dir) throw new Error('no shared cluster: the vitest project must have test/global-setup.ts as its globalSetup');
  const spec = await requireClusterSpec(dir);
  const clean = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 40);
  const dbname = `t_${clean}_${randomBytes(5).toString('hex')}`;
  const nodes = clusterNodes(spec);
  await Promise.all(nodes.filter((n) => n.role === 'primary').map((p) => createDatabaseIfMissing(p.port, dbname)));
  await Promise.all(nodes.filter((n) => n.role === 'replica').map((r) => waitForDatabase(r.port, dbname)));
  const topology = topologyOf(spec, dbname);
  const topologies = join(dir, 'test-topologies');
  await mkdir(topologies, { recursive: true });
  const topologyPath = join(topologies, `${dbname}.json`);
  await writeFile(topologyPath, `${JSON.stringify(topology, null, 2)}\n`);
  return { topologyPath, topology, dbname };
}
