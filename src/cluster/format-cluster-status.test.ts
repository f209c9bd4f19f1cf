import { expect, it } from 'vitest';
import { formatBytes, formatClusterStatus } from './format-cluster-status.js';
import type { ClusterNodeStatus } from './cluster-status.js';

const node = (patch: Partial<ClusterNodeStatus>): ClusterNodeStatus => ({
  shardId: 0,
  member: 0,
  role: 'primary',
  replicaIndex: null,
  host: '127.0.0.1',
  port: 54320,
  dataDir: '/c/shard-0/primary',
  up: true,
  pid: 101,
  observedRole: 'primary',
  timeline: 1,
  lagSeconds: null,
  lagBytes: null,
  patroni: null,
  ...patch,
});

const replica = { role: 'replica', observedRole: 'replica', replicaIndex: 0 } as const;

it('prints one aligned line per node under a header, with observed roles and timelines', () => {
  expect(
    formatClusterStatus([
      node({}),
      node({ ...replica, port: 54321, pid: 102, lagSeconds: 0, lagBytes: 0 }),
      node({ shardId: 1, port: 54322, pid: 2001, timeline: 3 }),
      node({ shardId: 1, ...replica, port: 54323, up: false, pid: null, observedRole: null, timeline: null }),
      node({ shardId: 1, ...replica, replicaIndex: 1, port: 54324, pid: 2003, timeline: 3, lagSeconds: 12.5, lagBytes: 3 * 1024 * 1024 }),
    ]),
  ).toEqual([
    'SHARD  ROLE     PORT   STATE  TL  PID   LAG            NOTE',
    '0      primary  54320  up     1   101   -',
    '0      replica  54321  up     1   102   0.00 s, 0 B',
    '1      primary  54322  up     3   2001  -',
    '1      -        54323  down   -   -     -              layout: replica 0',
    '1      replica  54324  up     3   2003  13 s, 3.0 MiB',
  ]);
});

it('says where a server disagrees with the layout (a promotion nobody recorded)', () => {
  const lines = formatClusterStatus([node({}), node({ ...replica, observedRole: 'primary', port: 54321, timeline: 2 })]);
  expect(lines[2]).toMatch(/^0\s+primary\s+54321\s+up\s+2\s+101\s+-\s+layout: replica 0$/);
});

it('adds Patroni’s view when there is one', () => {
  const lines = formatClusterStatus([
    node({ patroni: { name: 'shard0_node0', role: 'leader', state: 'running', timeline: 1 } }),
    node({ ...replica, port: 54321 }),
  ]);
  expect(lines[0]).toMatch(/\sPATRONI\s+NOTE$/);
  expect(lines[1]).toContain('leader running');
  expect(lines[2]).toMatch(/\s-$/);
});

it('marks an unknown lag of a running replica', () => {
  expect(formatClusterStatus([node(replica)])[1]).toMatch(/\? s, \? B$/);
});

it('formats bytes', () => {
  expect([formatBytes(0), formatBytes(1023), formatBytes(1536), formatBytes(5 * 1024 ** 3)]).toEqual([
    '0 B',
    '1023 B',
    '1.5 KiB',
    '5.0 GiB',
  ]);
});
