import { expect, it } from 'vitest';
import { formatBytes, formatClusterStatus } from './format-cluster-status.js';
import type { ClusterNodeStatus } from './cluster-status.js';

const node = (patch: Partial<ClusterNodeStatus>): ClusterNodeStatus => ({
  shardId: 0,
  role: 'primary',
  replicaIndex: null,
  host: '127.0.0.1',
  port: 54320,
  dataDir: '/c/shard-0/primary',
  up: true,
  pid: 101,
  lagSeconds: null,
  lagBytes: null,
  ...patch,
});

it('prints one aligned line per node under a header', () => {
  expect(
    formatClusterStatus([
      node({}),
      node({ role: 'replica', replicaIndex: 0, port: 54321, pid: 102, lagSeconds: 0, lagBytes: 0 }),
      node({ shardId: 1, port: 54322, pid: 2001, up: true }),
      node({ shardId: 1, role: 'replica', replicaIndex: 0, port: 54323, up: false, pid: null }),
      node({ shardId: 1, role: 'replica', replicaIndex: 1, port: 54324, pid: 2003, lagSeconds: 12.5, lagBytes: 3 * 1024 * 1024 }),
    ]),
  ).toEqual([
    'SHARD  ROLE       PORT   STATE  PID   LAG',
    '0      primary    54320  up     101   -',
    '0      replica 0  54321  up     102   0.00 s, 0 B',
    '1      primary    54322  up     2001  -',
    '1      replica 0  54323  down   -     -',
    '1      replica 1  54324  up     2003  13 s, 3.0 MiB',
  ]);
});

it('marks an unknown lag of a running replica', () => {
  expect(formatClusterStatus([node({ role: 'replica', replicaIndex: 0 })])[1]).toMatch(/\? s, \? B$/);
});

it('formats bytes', () => {
  expect([formatBytes(0), formatBytes(1023), formatBytes(1536), formatBytes(5 * 1024 ** 3)]).toEqual(['0 B', '1023 B', '1.5 KiB', '5.0 GiB']);
});
