import { describe, expect, it } from 'vitest';
import { pgHbaConfig, primaryConfig, quote, replicaConfig, socketDirFor } from './node-config.js';

describe('primaryConfig', () => {
  const base = { port: 54320, socketDir: '/c/run', replicas: 1 };

  it('listens on loopback only, keeps sockets in the cluster and enables replication', () => {
    const conf = primaryConfig({ ...base, fsync: true });
    expect(conf).toContain("listen_addresses = '127.0.0.1'");
    expect(conf).toContain('port = 54320');
    expect(conf).toContain("unix_socket_directories = '/c/run'");
    expect(conf).toContain('wal_level = replica');
    expect(conf).toContain('hot_standby = on');
    expect(conf).not.toContain('fsync = off');
  });

  it('turns durability off only when asked, and never loses a commit to a server crash', () => {
    const conf = primaryConfig({ ...base, fsync: false });
    expect(conf).toContain('fsync = off');
    expect(conf).not.toContain('synchronous_commit');
    expect(conf).toContain('full_page_writes = off');
  });
});

it('gives a replica its own port, set after the copied primary settings', () => {
  expect(replicaConfig(54321)).toMatch(/port = 54321\n$/);
});

it('trusts loopback for databases and replication, nothing else', () => {
  const hosts = pgHbaConfig()
    .split('\n')
    .filter((l) => l.startsWith('host'));
  expect(hosts).toEqual([expect.stringMatching(/^host\s+all\s+all\s+127\.0\.0\.1\/32\s+trust$/), expect.stringMatching(/^host\s+replication\s+all\s+127\.0\.0\.1\/32\s+trust$/)]);
});

it('drops the unix socket when its path would be too long for the kernel', () => {
  expect(socketDirFor('/tmp/c/run', 54325)).toBe('/tmp/c/run');
  expect(socketDirFor(`/tmp/${'x'.repeat(100)}/run`, 54325)).toBe('');
});

it('quotes configuration strings', () => {
  expect(quote("/it's here")).toBe("'/it''s here'");
});
