import { access, appendFile, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ClusterError } from './cluster-error.js';
import type { ClusterNode } from './cluster-layout.js';
import type { PgBinaries } from './find-pg-binaries.js';
import { PRIMARY_MARKER, REPLICA_MARKER, missingNodeSettings, pgHbaConfig, primaryConfig, replicaConfig } from './node-config.js';
import { processWithChildren, readPostmasterPid, runningPostmasterPid, signalAll, waitForExit } from './postmaster-process.js';
import { giveToPg } from './pg-owner.js';
import { runProgram } from './run-program.js';

/*
 * What can be done to one node: create it (initdb or clone), start it, stop
 * it. Each step is a real PostgreSQL program run as the cluster's owner
 * (see pg-owner.ts); the orchestration lives in local-cluster.ts.
 */

/**
 * True when the node's creation completed (its settings were written last).
 * The marker is the one of the role the member was created with, which a
 * switchover does not change.
 */
export async function isNodeCreated(node: ClusterNode): Promise<boolean> {
  try {
    const conf = await readFile(join(node.dataDir, 'postgresql.conf'), 'utf8');
    return conf.includes(node.member === 0 ? PRIMARY_MARKER : REPLICA_MARKER);
  } catch {
    return false;
  }
}

export interface InitPrimaryOptions {
  readonly fsync: boolean;
  readonly socketDir: string;
  readonly replicas: number;
}

export async function initPrimary(bins: PgBinaries, node: ClusterNode, o: InitPrimaryOptions): Promise<void> {
  // Leftovers of an interrupted attempt would make initdb refuse the directory.
  await rm(node.dataDir, { recursive: true, force: true });
  const args = ['-D', node.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C'];
  if (!o.fsync) args.push('--no-sync');
  await runProgram(bins.initdb, args, { cwd: dirname(node.dataDir), what: `initdb of ${node.label}` });
  await writeFile(join(node.dataDir, 'pg_hba.conf'), pgHbaConfig());
  await appendFile(join(node.dataDir, 'postgresql.conf'), primaryConfig({ port: node.port, name: node.name, ...o }));
}

export async function cloneReplica(bins: PgBinaries, node: ClusterNode, primary: ClusterNode, fsync: boolean): Promise<void> {
  await rm(node.dataDir, { recursive: true, force: true });
  // -R writes standby.signal and primary_conninfo; -X stream copies the WAL
  // written during the copy; --checkpoint=fast avoids waiting for a spread checkpoint.
  const args = [
    '-h',
    '127.0.0.1',
    '-p',
    String(primary.port),
    '-U',
    'postgres',
    '-D',
    node.dataDir,
    '-R',
    '-X',
    'stream',
    '--checkpoint=fast',
  ];
  if (!fsync) args.push('--no-sync');
  await runProgram(bins.pgBasebackup, args, { cwd: dirname(node.dataDir), what: `cloning ${node.label} from port ${primary.port}` });
  await appendFile(join(node.dataDir, 'postgresql.conf'), replicaConfig(node.port, node.name));
}

/** Start the node and wait until it accepts connections (a replica: read-only ones). */
export async function startPgNode(bins: PgBinaries, node: ClusterNode): Promise<void> {
  const args = ['start', '-w', '-t', '60', '-s', '-D', node.dataDir, '-l', node.logFile];
  const logOffset = await fileSize(node.logFile);
  if (runningPostmasterPid(node.dataDir) === null) {
    const confFile = join(node.dataDir, 'postgresql.conf');
    const missing = missingNodeSettings(await readFile(confFile, 'utf8').catch(() => ''), node.name);
    if (missing !== '') await appendFile(confFile, missing);
  }
  const stalePid = readPostmasterPid(node.dataDir);
  if (stalePid !== null && runningPostmasterPid(node.dataDir) === null) await removeStaleLockFiles(node.dataDir, stalePid);
  try {
    await runProgram(bins.pgCtl, args, { cwd: dirname(node.dataDir), what: `starting ${node.label}` });
  } catch (err) {
    const fromLog = await lastServerError(node.logFile, logOffset);
    if (fromLog !== null && /could not bind|Address already in use/i.test(fromLog)) {
      throw new ClusterError('PORT_IN_USE', `port ${node.port} (${node.label}) is already in use on 127.0.0.1: ${fromLog}`);
    }
    const detail = fromLog ?? (err as Error).message;
    throw new ClusterError('COMMAND_FAILED', `starting ${node.label} on port ${node.port} failed: ${detail} (log: ${node.logFile})`);
  }
}

/**
 * Stop the node with `pg_ctl stop -m fast` (disconnect clients, clean
 * shutdown). Should that fail or hang, the postmaster and its children are
 * killed, so that no process of the node survives.
 */
export async function stopPgNode(bins: PgBinaries, node: ClusterNode): Promise<void> {
  const pid = runningPostmasterPid(node.dataDir);
  if (pid === null) return;
  const pids = processWithChildren(pid);
  try {
    await runProgram(bins.pgCtl, ['stop', '-m', 'fast', '-w', '-t', '30', '-s', '-D', node.dataDir], {
      cwd: dirname(node.dataDir),
      what: `stopping ${node.label}`,
    });
  } catch {
    // fall through to the signals below
  }
  if (await waitForExit(pids, 2_000)) return;
  signalAll(pids, 'SIGQUIT'); // immediate shutdown
  if (await waitForExit(pids, 2_000)) return;
  signalAll(pids, 'SIGKILL');
  await waitForExit(pids, 2_000);
  // A killed postmaster leaves its pid file; once the pid is reused, the next start would refuse.
  await unlink(join(node.dataDir, 'postmaster.pid')).catch(() => {});
}

/** A standby starts as one: standby.signal is in its data directory. */
export async function hasStandbySignal(node: ClusterNode): Promise<boolean> {
  try {
    await access(join(node.dataDir, 'standby.signal'));
    return true;
  } catch {
    return false;
  }
}

/** `pg_ctl promote -w`: end recovery and wait until the node accepts writes on a new timeline. */
export async function promotePgNode(bins: PgBinaries, node: ClusterNode): Promise<void> {
  await runProgram(bins.pgCtl, ['promote', '-w', '-t', '60', '-s', '-D', node.dataDir], {
    cwd: dirname(node.dataDir),
    what: `promoting ${node.label}`,
  });
}

/** "Latest checkpoint location" of a stopped node (after a clean stop: its shutdown checkpoint). */
export async function checkpointLocation(bins: PgBinaries, node: ClusterNode): Promise<string> {
  const { stdout } = await runProgram(bins.pgControldata, ['-D', node.dataDir], {
    cwd: dirname(node.dataDir),
    what: `reading the control file of ${node.label}`,
  });
  const match = /^Latest checkpoint location:\s+([0-9A-F]+\/[0-9A-F]+)\s*$/m.exec(stdout);
  if (match?.[1] === undefined) throw new ClusterError('COMMAND_FAILED', `pg_controldata of ${node.label} shows no checkpoint location`);
  return match[1];
}

/**
 * Turn a cleanly stopped old primary into a standby of `source` (the new
 * primary): pg_rewind undoes whatever it wrote after the two diverged and
 * writes standby.signal and primary_conninfo (-R). pg_rewind also copies the
 * source's postgresql.conf and pg_hba.conf, whose port and name are the
 * source's: the node's own files are put back afterwards.
 */
export async function rewindPgNode(
  bins: PgBinaries,
  node: ClusterNode,
  source: ClusterNode,
  fsync: boolean,
): Promise<{ rewound: boolean }> {
  const own = await Promise.all(OWN_FILES.map((f) => readFile(join(node.dataDir, f))));
  const source_ = `host=127.0.0.1 port=${source.port} user=postgres dbname=postgres`;
  const args = ['-D', node.dataDir, '--source-server', source_, '-R'];
  if (!fsync) args.push('--no-sync');
  let result;
  try {
    result = await runProgram(bins.pgRewind, args, { cwd: dirname(node.dataDir), what: `rewinding ${node.label} to port ${source.port}` });
  } finally {
    await Promise.all(OWN_FILES.map((f, i) => writeFile(join(node.dataDir, f), own[i]!)));
  }
  // pg_rewind -R writes it, also when no rewind was required; make sure, as its absence would start a second primary.
  const signal = join(node.dataDir, 'standby.signal');
  if (!(await hasStandbySignal(node))) {
    await writeFile(signal, '');
    await giveToPg(signal);
  }
  return { rewound: !/no rewind required/.test(`${result.stdout}\n${result.stderr}`) };
}

/**
 * Point a standby at another primary: its primary_conninfo in
 * postgresql.auto.conf (where pg_basebackup -R and pg_rewind -R put it) is
 * replaced, a synchronous_standby_names left from its time as a primary is
 * dropped (it would bind its commits to the wrong standbys once promoted),
 * and a running node reloads it (PostgreSQL 13+ reconnects its walreceiver
 * without a restart).
 */
export async function repointStandby(bins: PgBinaries, node: ClusterNode, primaryPort: number): Promise<void> {
  const file = join(node.dataDir, 'postgresql.auto.conf');
  const text = await readFile(file, 'utf8').catch(() => '');
  const kept = text.split('\n').filter((l) => !/^\s*(primary_conninfo|synchronous_standby_names)\s*=/.test(l) && l !== '');
  kept.push(`primary_conninfo = 'host=127.0.0.1 port=${primaryPort} user=postgres'`);
  await writeFile(file, `${kept.join('\n')}\n`);
  await giveToPg(file);
  if (runningPostmasterPid(node.dataDir) !== null) {
    await runProgram(bins.pgCtl, ['reload', '-s', '-D', node.dataDir], { cwd: dirname(node.dataDir), what: `reloading ${node.label}` });
  }
}

/** The files that make a node itself (its port, name, access rules), not a copy of the one it was cloned from. */
const OWN_FILES = ['postgresql.conf', 'pg_hba.conf'] as const;

/**
 * A postmaster that died without shutting down (kill -9, a crash) leaves
 * `postmaster.pid` and its socket's `.s.PGSQL.<port>.lock`. PostgreSQL clears
 * them itself unless their pid still answers a signal, which it does when it
 * was reused by another process, or when the dead postmaster is a zombie that
 * nobody reaps (a container whose init does not). It is known dead here.
 */
async function removeStaleLockFiles(dataDir: string, stalePid: number): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  const lines = (await readFile(pidFile, 'utf8').catch(() => '')).split('\n');
  const port = lines[3]?.trim();
  const socketDir = lines[4]?.trim();
  if (port && socketDir) {
    const socketLock = join(socketDir, `.s.PGSQL.${port}.lock`);
    const owner = (await readFile(socketLock, 'utf8').catch(() => '')).split('\n')[0]?.trim();
    if (owner === String(stalePid)) await unlink(socketLock).catch(() => {});
  }
  await unlink(pidFile).catch(() => {});
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

/** The last FATAL/PANIC/ERROR line written to a server log after `offset` (this start, not an older one), or null. */
async function lastServerError(logFile: string, offset: number): Promise<string | null> {
  let text: string;
  try {
    text = (await readFile(logFile)).subarray(offset).toString('utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n').filter((l) => /\b(FATAL|PANIC|ERROR):/.test(l));
  const line = lines.at(-1);
  return line === undefined ? null : line.replace(/^.*?\b(FATAL|PANIC|ERROR):\s*/, '$1: ');
}
