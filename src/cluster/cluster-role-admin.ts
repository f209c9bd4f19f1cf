import { NODE_PROBE_SQL, nodeProbeFromRow, type NodeProbe, type NodeProbeRow } from '../sharding/node-probe.js';
import { withAdminClient } from './cluster-admin.js';

/*
 * What the local development cluster (src/cluster) asks a node about its
 * role, and the settings a switchover changes. Like cluster-admin.ts: one
 * short-lived connection as `postgres` to the `postgres` database of a node
 * on 127.0.0.1, closed after the call.
 */

/** What a running node says about itself: the gateway's own health probe, sent over an admin connection. */
export async function observeNode(port: number): Promise<NodeProbe> {
  return withAdminClient(port, async (c) => {
    const { rows } = await c.query<NodeProbeRow>(NODE_PROBE_SQL);
    const row = rows[0];
    if (row === undefined) throw new Error(`node at 127.0.0.1:${port} returned no row`);
    return nodeProbeFromRow(row);
  });
}

/** The settings a switchover depends on. */
export interface RewindSettings {
  readonly walLogHints: boolean;
  readonly dataChecksums: boolean;
  readonly fullPageWrites: boolean;
}

export async function rewindSettings(port: number): Promise<RewindSettings> {
  return withAdminClient(port, async (c) => {
    const { rows } = await c.query<{ name: string; setting: string }>(
      "SELECT name, setting FROM pg_settings WHERE name IN ('wal_log_hints', 'data_checksums', 'full_page_writes')",
    );
    const on = (name: string) => rows.find((r) => r.name === name)?.setting === 'on';
    return { walLogHints: on('wal_log_hints'), dataChecksums: on('data_checksums'), fullPageWrites: on('full_page_writes') };
  });
}

/** application_name of every standby streaming from this primary now. */
export async function streamingStandbyNames(primaryPort: number): Promise<string[]> {
  return withAdminClient(primaryPort, async (c) => {
    const { rows } = await c.query<{ name: string }>(
      "SELECT application_name AS name FROM pg_stat_replication WHERE state = 'streaming' ORDER BY 1",
    );
    return rows.map((r) => r.name);
  });
}

/**
 * Set synchronous_standby_names on a primary (postgresql.auto.conf) and
 * reload; '' resets it, so that commits wait for no standby.
 */
export async function setSynchronousStandbyNames(port: number, value: string): Promise<void> {
  await withAdminClient(port, async (c) => {
    // ALTER SYSTEM takes no parameters: the value is quoted as a string literal.
    if (value === '') await c.query('ALTER SYSTEM RESET synchronous_standby_names');
    else await c.query(`ALTER SYSTEM SET synchronous_standby_names = ${literal(value)}`);
    await c.query('SELECT pg_reload_conf()');
  });
}

/**
 * A checkpoint on a freshly promoted primary, so that its control file names
 * its new timeline. pg_rewind reads the source's timeline there: right after
 * a fast promotion (its first checkpoint is only requested, and late under
 * load) it still names the old one, and the rewound node is given a minimum
 * recovery point on a timeline the new primary's history does not contain,
 * so it refuses to start ("requested timeline 3 does not contain minimum
 * recovery point ... on timeline 1"). PostgreSQL's pg_rewind documentation
 * asks for this CHECKPOINT.
 */
export async function checkpointAfterPromotion(port: number): Promise<void> {
  await withAdminClient(port, (c) => c.query('CHECKPOINT'));
}

/**
 * What a freshly promoted primary must forget: the synchronous standbys of
 * the old primary (its commits would wait for standbys that are not there)
 * and the connection to the primary it used to follow.
 */
export async function forgetStandbySettings(port: number): Promise<void> {
  await withAdminClient(port, async (c) => {
    await c.query('ALTER SYSTEM RESET synchronous_standby_names');
    await c.query('ALTER SYSTEM RESET primary_conninfo');
    await c.query('SELECT pg_reload_conf()');
  });
}

/** The synchronous_standby_names the node runs with now. */
export async function currentSynchronousStandbyNames(port: number): Promise<string> {
  return withAdminClient(port, async (c) => {
    const { rows } = await c.query<{ v: string }>('SELECT current_setting($1) AS v', ['synchronous_standby_names']);
    return rows[0]?.v ?? '';
  });
}

/** True when a standby has received WAL beyond `lsn` (e.g. its old primary's shutdown checkpoint). */
export async function receivedPast(standbyPort: number, lsn: string): Promise<boolean> {
  return withAdminClient(standbyPort, async (c) => {
    const { rows } = await c.query<{ past: boolean | null }>(
      'SELECT greatest(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()) > $1::pg_lsn AS past',
      [lsn],
    );
    return rows[0]?.past === true;
  });
}

function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
