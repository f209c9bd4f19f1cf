import type { ClusterNodeStatus } from './cluster-status.js';

/** `cluster status` as aligned columns, one line per node, with a header line. */
export function formatClusterStatus(nodes: readonly ClusterNodeStatus[]): string[] {
  const rows = [
    ['SHARD', 'ROLE', 'PORT', 'STATE', 'PID', 'LAG'],
    ...nodes.map((n) => [
      String(n.shardId),
      n.role === 'primary' ? 'primary' : `replica ${n.replicaIndex ?? 0}`,
      String(n.port),
      n.up ? 'up' : 'down',
      n.pid === null ? '-' : String(n.pid),
      formatLag(n),
    ]),
  ];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows.map((r) =>
    r
      .map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** `-` for a primary or a node that is down; else seconds and bytes, each `?` when unknown. */
export function formatLag(n: Pick<ClusterNodeStatus, 'role' | 'up' | 'lagSeconds' | 'lagBytes'>): string {
  if (n.role === 'primary' || !n.up) return '-';
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
