import type { TestProject } from 'vitest/node';
import { startThrowawayCluster } from '../testkit/throwaway-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Directory of the cluster shared by the whole run; see test/support/use-shared-database.ts. */
    sharedClusterDir?: string;
  }
}

/**
 * One 3 x (primary + replica) cluster for the whole run: booting one per
 * test file would cost seconds each. Tests that only need data take their own
 * database on it (useSharedDatabase); tests that stop nodes boot their own
 * cluster (startThrowawayCluster).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startThrowawayCluster({ shards: 3, replicas: 1 });
  project.provide('sharedClusterDir', cluster.dir);
  return () => cluster.destroy();
}
