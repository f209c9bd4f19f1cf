import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { observeNode, streamingStandbyNames } from './cluster-role-admin.js';
import type { FailoverOptions, FailoverResult } from './cluster-failover.js';
import { ClusterError } from './cluster-error.js';
import { recordPrimary } from './cluster-files.js';
import { type ClusterSpec, memberOf, nodeOf } from './cluster-layout.js';
import { adoptPatroniLeaders } from './adopt-patroni-leaders.js';
import { findHaPrograms } from './find-ha-programs.js';
import { patroniConfigPath, patroniScope } from './patroni-config.js';
import { patroniLeader, patroniMembers } from './patroni-rest.js';
import { waitForPatroniRole } from './patroni-up.js';
import { settleAll } from '../util/settle-all.js';

const execFileAsync = promisify(execFile);
const SWITCHOVER_TIMEOUT_MS = 120_000;

/** `cluster failover` under Patroni: `patronictl switchover` from the leader to the first replica, timed. */
export async function patroniSwitchover(spec: ClusterSpec, shardId: number, opts: FailoverOptions): Promise<FailoverResult> {
  const progress = opts.onProgress ?? (() => {});
  const now = opts.now ?? Date.now;
  const programs = await findHaPrograms();
  const synced = await adoptPatroniLeaders(spec);
  const leader = await patroniLeader(synced, shardId);
  if (leader === null) {
    throw new ClusterError(
      'NOT_READY',
      `cannot switch shard ${shardId} over: Patroni reports no running leader; see \`cluster status\`; nothing was changed`,
    );
  }
  const old = memberOf(synced, shardId, leader);
  const candidate = nodeOf(synced, shardId, 'replica', 0);
  const members = await patroniMembers(synced);
  const c = members.get(candidate.name);
  if (c === undefined || !['running', 'streaming'].includes(c.state)) {
    throw new ClusterError(
      'NOT_READY',
      `cannot switch shard ${shardId} over: ${candidate.label} (port ${candidate.port}) is ${c?.state ?? 'unknown to Patroni'}; nothing was changed`,
    );
  }

  progress(`patronictl switchover of shard ${shardId}: ${old.name} (port ${old.port}) -> ${candidate.name} (port ${candidate.port})...`);
  const started = now();
  let writable: number | null = null;
  // The old leader takes writes until Patroni demotes it, well after patronictl started.
  let oldLastWritable = started;
  let polling = true;
  // Time the gap between the last moment the old leader took writes and the first the candidate did.
  const watcher = (async () => {
    while (polling && writable === null) {
      const [o, c] = await settleAll([observeNode(old.port).catch(() => null), observeNode(candidate.port).catch(() => null)]);
      if (o !== null && !o.inRecovery && writable === null) oldLastWritable = now();
      if (c !== null && !c.inRecovery) writable = now();
      else await new Promise((r) => setTimeout(r, 25));
    }
  })();
  try {
    await execFileAsync(
      programs.patronictl,
      ['-c', patroniConfigPath(old), 'switchover', patroniScope(shardId), '--leader', old.name, '--candidate', candidate.name, '--force'],
      { timeout: SWITCHOVER_TIMEOUT_MS, env: { ...process.env, HOME: synced.dir } },
    );
    await waitForPatroniRole(synced, candidate, ['master', 'primary'], SWITCHOVER_TIMEOUT_MS);
  } catch (err) {
    polling = false;
    await watcher;
    const e = err as { stderr?: string; stdout?: string; message: string };
    const detail = `${e.stdout ?? ''}\n${e.stderr ?? ''}`.trim().split('\n').filter(Boolean).at(-1) ?? e.message;
    throw new ClusterError('COMMAND_FAILED', `patronictl switchover of shard ${shardId} failed: ${detail}`);
  }
  while (writable === null) await new Promise((r) => setTimeout(r, 25));
  polling = false;
  await watcher;
  const updated = await recordPrimary(synced, shardId, candidate.member);
  const demoted = memberOf(updated, shardId, old.member);
  progress(`${candidate.label} is the leader; waiting for port ${demoted.port} to stream from it...`);
  await waitForPatroniRole(updated, demoted, ['replica'], SWITCHOVER_TIMEOUT_MS);
  const deadline = Date.now() + SWITCHOVER_TIMEOUT_MS;
  while (!(await streamingStandbyNames(candidate.port).catch(() => [] as string[])).includes(demoted.name)) {
    if (Date.now() > deadline)
      throw new ClusterError('TIMEOUT', `port ${demoted.port} does not stream from port ${candidate.port}; see ${demoted.logFile}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const finished = now();
  return {
    shardId,
    mode: 'patroni',
    from: { port: old.port, member: old.member },
    to: { port: candidate.port, member: candidate.member },
    timeline: (await observeNode(candidate.port)).timeline,
    writeOutageMs: Math.max(0, (writable as number) - oldLastWritable),
    totalMs: finished - started,
    rewound: null,
  };
}
