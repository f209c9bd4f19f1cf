import {
  checkpointAfterPromotion,
  forgetStandbySettings,
  observeNode,
  receivedPast,
  rewindSettings,
  setSynchronousStandbyNames,
  streamingStandbyNames,
} from './cluster-role-admin.js';
import { ClusterError } from './cluster-error.js';
import { recordPrimary, requireClusterSpec } from './cluster-files.js';
import { type ClusterNode, type ClusterSpec, memberOf, nodeOf, shardMembers } from './cluster-layout.js';
import type { ProgressOptions } from './cluster-up.js';
import { type PgBinaries, findPgBinaries } from './find-pg-binaries.js';
import { synchronousStandbyNames } from './node-config.js';
import { checkpointLocation, promotePgNode, repointStandby, rewindPgNode, startPgNode, stopPgNode } from './node-control.js';
import { decideMembers } from './observe-shard.js';
import { patroniSwitchover } from './patroni-switchover.js';
import { runningPostmasterPid } from './postmaster-process.js';
import { settleAll } from '../util/settle-all.js';

/** What a switchover did, with its timings (milliseconds, from the clock passed in). */
export interface FailoverResult {
  readonly shardId: number;
  readonly mode: 'pg_ctl' | 'patroni';
  readonly from: { readonly port: number; readonly member: number };
  readonly to: { readonly port: number; readonly member: number };
  /** The new primary's timeline. */
  readonly timeline: number;
  /** From the moment the old primary stopped taking writes until the new one took them. */
  readonly writeOutageMs: number;
  /** The whole operation, until the old primary streams from the new one. */
  readonly totalMs: number;
  /** pg_rewind had WAL to undo (false: the old primary had nothing the new one lacked). */
  readonly rewound: boolean | null;
}

export interface FailoverOptions extends ProgressOptions {
  /** @default Date.now */
  readonly now?: () => number;
}

const CATCH_UP_TIMEOUT_MS = 15_000;
const REJOIN_TIMEOUT_MS = 60_000;

/**
 * An operator's switchover of one shard: its first replica becomes the
 * primary, the old primary its replica. Without Patroni: the old primary
 * is stopped cleanly first (so nothing is written to it afterwards), the
 * replica is promoted once it has received everything the old primary
 * wrote, the old primary is rewound with pg_rewind and restarted as a
 * standby of the new one, and the layout on disk (cluster.json,
 * topology.json) records the new roles. With Patroni: `patronictl
 * switchover`, then the same record.
 */
export async function clusterFailover(dir: string, shardId: number, opts: FailoverOptions = {}): Promise<FailoverResult> {
  const spec = await requireClusterSpec(dir);
  nodeOf(spec, shardId, 'primary'); // a missing shard is a usage error
  if (spec.replicas < 1) throw new ClusterError('BAD_SPEC', `shard ${shardId} has no replica to promote (the cluster has --replicas 0)`);
  if (spec.ha === 'patroni') return patroniSwitchover(spec, shardId, opts);
  return manualSwitchover(await findPgBinaries(), spec, shardId, opts);
}

async function manualSwitchover(bins: PgBinaries, spec: ClusterSpec, shardId: number, opts: FailoverOptions): Promise<FailoverResult> {
  const progress = opts.onProgress ?? (() => {});
  const now = opts.now ?? Date.now;
  const old = nodeOf(spec, shardId, 'primary');
  const candidate = nodeOf(spec, shardId, 'replica', 0);
  await assertReady(spec, old, candidate);

  const started = now();
  progress(`stopping ${old.label} (port ${old.port}) cleanly...`);
  await stopPgNode(bins, old);
  try {
    // A clean stop sends the shutdown checkpoint to the standbys: once the candidate has it, it lacks nothing.
    const shutdownLsn = await checkpointLocation(bins, old);
    await waitUntil(
      () => receivedPast(candidate.port, shutdownLsn),
      CATCH_UP_TIMEOUT_MS,
      () => `${candidate.label} did not receive the old primary's WAL up to ${shutdownLsn} within ${CATCH_UP_TIMEOUT_MS / 1000} s`,
    );
    progress(`promoting ${candidate.label} (port ${candidate.port})...`);
    await promotePgNode(bins, candidate);
  } catch (err) {
    // Nothing changed yet: the old primary goes back to work.
    progress(`switchover abandoned; restarting ${old.label}`);
    await startPgNode(bins, old).catch(() => {});
    throw err;
  }
  await forgetStandbySettings(candidate.port);
  const writable = now();
  const updated = await recordPrimary(spec, shardId, candidate.member);
  const timeline = (await observeNode(candidate.port)).timeline;
  progress(`${candidate.label} is the primary on timeline ${timeline} (writes were refused for ${writable - started} ms)`);

  const demoted = memberOf(updated, shardId, old.member);
  const primary = memberOf(updated, shardId, candidate.member);
  await checkpointAfterPromotion(primary.port);
  let rewound: boolean;
  try {
    progress(`rewinding port ${demoted.port} with pg_rewind to follow port ${primary.port}...`);
    ({ rewound } = await rewindPgNode(bins, demoted, primary, spec.fsync !== false));
  } catch (err) {
    throw new ClusterError(
      'COMMAND_FAILED',
      `${(err as Error).message}. Port ${primary.port} is the primary now; the old primary in ${demoted.dataDir} could not be made its standby: ` +
        'delete that directory and run `cluster up` to clone it afresh',
    );
  }
  // Every standby follows the new primary on its new timeline: the demoted one (whose settings
  // pg_rewind wrote or copied) and the other replicas, which followed the old primary.
  const others = shardMembers(updated, shardId).filter((n) => n.member !== primary.member);
  await settleAll(others.map((n) => repointStandby(bins, n, primary.port)));
  await startPgNode(bins, demoted);
  const standbys = shardMembers(updated, shardId).filter((n) => n.member !== primary.member);
  const expected = standbys.filter((n) => runningPostmasterPid(n.dataDir) !== null).map((n) => n.name);
  await waitUntil(
    async () => {
      const streaming = await streamingStandbyNames(primary.port);
      return expected.every((name) => streaming.includes(name));
    },
    REJOIN_TIMEOUT_MS,
    () =>
      `the standbys (${expected.join(', ')}) do not all stream from port ${primary.port} after ${REJOIN_TIMEOUT_MS / 1000} s; see ${demoted.logFile}`,
  );
  if (spec.synchronous === true) {
    // Until now the new primary acknowledged commits alone; from here on one standby must have each.
    await setSynchronousStandbyNames(primary.port, synchronousStandbyNames(standbys.map((n) => n.name)));
  }
  const finished = now();
  progress(`port ${demoted.port} streams from port ${primary.port}${rewound ? ' (rewound)' : ''}`);
  return {
    shardId,
    mode: 'pg_ctl',
    from: { port: old.port, member: old.member },
    to: { port: candidate.port, member: candidate.member },
    timeline,
    writeOutageMs: writable - started,
    totalMs: finished - started,
    rewound,
  };
}

/**
 * Refuse before changing anything: both nodes up, in the roles the gateway
 * would decide from the shard's nodes (the old one its primary, the candidate
 * a replica that follows it), the candidate streaming, pg_rewind possible.
 */
async function assertReady(spec: ClusterSpec, old: ClusterNode, candidate: ClusterNode): Promise<void> {
  const notReady = (why: string): never => {
    throw new ClusterError('NOT_READY', `cannot switch shard ${old.shardId} over: ${why}; nothing was changed`);
  };
  for (const n of [old, candidate]) {
    if (runningPostmasterPid(n.dataDir) === null) notReady(`${n.label} (port ${n.port}) is not running (start it with \`cluster up\`)`);
  }
  const [o, c] = await Promise.all([observeNode(old.port), observeNode(candidate.port)]).catch((err: Error) =>
    notReady(`a node does not answer (${err.message})`),
  );
  if (o.inRecovery) notReady(`${old.label} (port ${old.port}) is in recovery, not a primary; see \`cluster status\``);
  if (!c.inRecovery)
    notReady(`${candidate.label} (port ${candidate.port}) is not in recovery: there are two primaries; see \`cluster status\``);
  // The other members count too: another node out of recovery on a newer timeline makes the old one fenced.
  const members = await Promise.all(
    shardMembers(spec, old.shardId).map(async (node) => ({
      node,
      probe: node.member === old.member ? o : node.member === candidate.member ? c : await observeNode(node.port).catch(() => null),
    })),
  );
  const { roles } = decideMembers(members);
  if (roles.primary?.member !== old.member) {
    const why = [...roles.excluded].find(([n]) => n.member === old.member)?.[1] ?? roles.noWriteReason ?? 'another node is the primary';
    notReady(`${old.label} (port ${old.port}) is not the shard's primary (${why}); see \`cluster status\``);
  }
  const excluded = [...roles.excluded].find(([n]) => n.member === candidate.member)?.[1];
  if (excluded !== undefined) notReady(`${candidate.label} (port ${candidate.port}) does not follow the primary (${excluded})`);
  if (!(await streamingStandbyNames(old.port)).includes(candidate.name)) {
    notReady(`${candidate.label} (port ${candidate.port}) does not stream from port ${old.port}`);
  }
  const settings = await rewindSettings(old.port);
  if (!settings.walLogHints && !settings.dataChecksums) {
    notReady(
      `port ${old.port} runs without wal_log_hints or data checksums, which pg_rewind needs (a cluster created by an older shardgate): recreate it`,
    );
  }
  if (!settings.fullPageWrites) notReady(`port ${old.port} runs with full_page_writes off, which pg_rewind cannot work with`);
}

async function waitUntil(ok: () => Promise<boolean>, timeoutMs: number, message: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ok().catch(() => false)) return;
    if (Date.now() >= deadline) throw new ClusterError('TIMEOUT', message());
    await new Promise((r) => setTimeout(r, 50));
  }
}
