import type { GatewayOptions } from '../config/gateway-options.js';
import type { Topology } from '../config/topology.js';
import type { ModuleTables } from '../repository/reshard-store.js';

export interface ReshardOptions {
  readonly from: Topology;
  readonly to: Topology;
  /** The new layout as it is recorded for the gateways (the --to document without passwords). */
  readonly recordedTo: unknown;
  /** Print the plan and change nothing. */
  readonly dryRun: boolean;
  /** Pools and timeouts for the tool's own connections. */
  readonly gatewayOptions: GatewayOptions;
  readonly log: (line: string) => void;
  /** Users per statement (copy, catch-up, cleanup). @default 1000 */
  readonly batchSize?: number;
  /** Progress lines at most this often. @default 1000 */
  readonly progressIntervalMs?: number;
  /** The cutover starts once at most this many captured changes wait. @default 200 */
  readonly catchUpThreshold?: number;
  /** Between the switch and the cleanup, so that every gateway adopts the new layout first. @default 5000 */
  readonly cleanupDelayMs?: number;
  /** How long pausing an old shard waits for the writes in flight there. @default 5000 */
  readonly lockTimeoutMs?: number;
  /** The loaded modules' co-located tables (moved, verified and cleaned with their owners) and their migrations. @default none */
  readonly modules?: ModuleTables;
  /** @default Date.now */
  readonly clock?: () => number;
  /** Who runs this, as a refused second run names it. @default this host and process */
  readonly holder?: { readonly host: string; readonly pid: number };
}

export interface ReshardResult {
  readonly outcome: 'planned' | 'done' | 'already-done';
  readonly epoch: number;
  readonly totalMs: number;
  /** Users copied by the copy step of this run, and at what rate. */
  readonly copied: number;
  readonly copyRate: number | null;
  /** How long gateway writes were refused (retried by the gateways) at the cutover of this run; null when no cutover ran. */
  readonly writePauseMs: number | null;
  readonly verifyMs: number | null;
}
