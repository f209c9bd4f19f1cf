import { describe, expect, it } from 'vitest';
import {
  missingNodeSettings,
  pgHbaConfig,
  primaryConfig,
  quote,
  replicaConfig,
  socketDirFor,
  synchronousStandbyNames,
} from './node-config.js';

describe('primaryConfig', () => {
  const base = { port: 54320, name: 'shard0_node0', socketDir: '/c/run', replicas: 1 };

  it('listens on loopback only, keeps sockets in the cluster and enables replication', () => {
    const conf = primaryConfig({ ...base, fsync: true });
    expect(conf).toContain("listen_addresses = '127.0.0.1'");
    expect(conf).toContain('port = 54320');
    expect(conf).toContain("unix_socket_directories = '/c/run'");
    expect(conf).toContain('wal_level = replica');
    expect(conf).toContain('hot_standby = on');
    expect(conf).toContain("cluster_name = 'shard0_node0'");
    expect(conf).not.toContain('fsync = off');
  });

  it('keeps what pg_rewind needs, even on throw-away clusters', () => {
    for (const fsync of [true, false]) {
      const conf = primaryConfig({ ...base, fsync });
      expect(conf).toContain('wal_log_hints = on');
      expect(conf).not.toContain('full_page_writes = off');
    }
  });

  it('turns durability off only when asked, and never loses a commit to a server crash', () => {
    const conf = primaryConfig({ ...base, fsync: false });
    expect(conf).toContain('fsync = off');
    expect(conf).not.toContain('synchronous_commit');
  });
});

it('gives a replica its own port and name, set after the copied primary settings', () => {
  expect(replicaConfig(54321, 'shard0_node1')).toMatch(/port = 54321\ncluster_name = 'shard0_node1'\n$/);
});

it('adds what an older node lacks for switchovers, once', () => {
  const old = 'port = 54321\nfull_page_writes = off\n';
  const added = missingNodeSettings(old, 'shard0_node1');
  expect(added).toContain("cluster_name = 'shard0_node1'");
  expect(added).toContain('wal_log_hints = on');
  expect(added).toContain('full_page_writes = on');
  expect(missingNodeSettings(old + added, 'shard0_node1')).toBe('');
});

it('waits for any one standby, quoting each name', () => {
  expect(synchronousStandbyNames(['shard0_node1', 'shard0_node2'])).toBe('ANY 1 ("shard0_node1", "shard0_node2")');
  expect(synchronousStandbyNames([])).toBe('');
});

it('trusts loopback for databases and replication, nothing else', () => {
  const hosts = pgHbaConfig()
    .split('\n')
    .filter((l) => l.startsWith('host'));
  expect(hosts).toEqual([
    expect.stringMatching(/^host\s+all\s+all\s+127\.0\.0\.1\/32\s+trust$/),
    expect.stringMatching(/^host\s+replication\s+all\s+127\.0\.0\.1\/32\s+trust$/),
  ]);
});

it('drops the unix socket when its path would be too long for the kernel', () => {
  expect(socketDirFor('/tmp/c/run', 54325)).toBe('/tmp/c/run');
  expect(socketDirFor(`/tmp/${'x'.repeat(100)}/run`, 54325)).toBe('');
});

it('quotes configuration strings', () => {
  expect(quote("/it's here")).toBe("'/it''s here'");
});
