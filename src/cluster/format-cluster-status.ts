import type { ClusterNodeStatus } from './cluster-status.js';

/**
 * `cluster status` as aligned columns, one line per node, with a header
 * line. ROLE and TL are what each server says about itself; NOTE says where
 * that differs from the layout on disk (or, for a node that is down, what
 * the layout expects it to be). With Patroni, a PATRONI column shows
 * Patroni's view of each member.
 */
export function formatClusterStatus(nodes: readonly ClusterNodeStatus[]): string[] {
  const withPatroni = nodes.some((n) => n.patroni !== null);
  const header = ['SHARD', 'ROLE', 'PORT', 'STATE', 'TL', 'PID', 'LAG', ...(withPatroni ? ['PATRONI'] : []), 'NOTE'];
  const rows = [
    header,
    ...nodes.map((n) => [
      String(n.shardId),
      n.observedRole ?? '-',
      String(n.port),
      n.up ? 'up' : 'down',
      n.timeline === null ? '-' : String(n.timeline),
      n.pid === null ? '-' : String(n.pid),
      formatLag(n),
      ...(withPatroni ? [n.patroni === null ? '-' : `${n.patroni.role} ${n.patroni.state}`] : []),
      formatNote(n),
    ]),
  ];
  const widths = header.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows.map((r) =>
    r
      .map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** Where the server disagrees with the layout, or what a down node is expected to be. */
function formatNote(n: Pick<ClusterNodeStatus, 'role' | 'replicaIndex' | 'observedRole'>): string {
  const layout = n.role === 'primary' ? 'primary' : `replica ${n.replicaIndex ?? 0}`;
  if (n.observedRole === null) return `layout: ${layout}`;
  return n.observedRole === n.role ? '' : `layout: ${layout}`;
}

/** `-` for a node that is down or out of recovery; else seconds and bytes, each `?` when unknown. */
export function formatLag(n: Pick<ClusterNodeStatus, 'observedRole' | 'up' | 'lagSeconds' | 'lagBytes'>): string {
  if (n.observedRole !== 'replica' || !n.up) return '-';
  const seconds = n.lagSeconds === null ? '? s' : `${n.lagSeconds.toFixed(n.lagSeconds < 10 ? 2 : 0)} s`;
  return `${seconds}, ${n.lagBytes === null ? '? B' : formatBytes(n.lagBytes)}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
