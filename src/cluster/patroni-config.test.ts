import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type ClusterSpec, nodeOf } from './cluster-layout.js';
import { PATRONI_TIMING, etcdArgs, patroniConfig } from './patroni-config.js';

const spec: ClusterSpec = { dir: '/c', shards: 2, replicas: 1, basePort: 30000, ha: 'patroni', fsync: true };
const options = { binDir: '/usr/lib/postgresql/15/bin', socketDir: '/c/run' };

describe('patroniConfig', () => {
  const config = parse(patroniConfig(spec, nodeOf(spec, 1, 'replica', 0), options));

  it('names the shard and the member, and puts every port on 127.0.0.1 as laid out', () => {
    expect(config).toMatchObject({
      scope: 'shard1',
      name: 'shard1_node1',
      restapi: { listen: '127.0.0.1:30007', connect_address: '127.0.0.1:30007' },
      etcd3: { hosts: ['127.0.0.1:30008'] },
      postgresql: {
        listen: '127.0.0.1:30003',
        connect_address: '127.0.0.1:30003',
        data_dir: '/c/shard-1/replica-0',
        bin_dir: options.binDir,
      },
    });
  });

  it('fails over in about ttl seconds, within what Patroni accepts', () => {
    expect(config.bootstrap.dcs).toMatchObject({ ttl: 10, loop_wait: 1, retry_timeout: 3, synchronous_mode: false });
    expect(PATRONI_TIMING.loopWait + 2 * PATRONI_TIMING.retryTimeout).toBeLessThanOrEqual(PATRONI_TIMING.ttl);
  });

  it('keeps what pg_rewind needs and trusts loopback only', () => {
    expect(config.bootstrap.dcs.postgresql).toMatchObject({ use_pg_rewind: true, parameters: { wal_log_hints: 'on' } });
    expect(config.postgresql.pg_hba.filter((l: string) => l.startsWith('host'))).toEqual([
      'host all all 127.0.0.1/32 trust',
      'host replication all 127.0.0.1/32 trust',
    ]);
  });

  it('turns on synchronous_mode, and keeps commits waiting even without fsync', () => {
    const sync = parse(patroniConfig({ ...spec, synchronous: true, fsync: false }, nodeOf(spec, 0, 'primary'), options));
    expect(sync.bootstrap.dcs.synchronous_mode).toBe(true);
    expect(sync.bootstrap.dcs.postgresql.parameters).toMatchObject({ fsync: 'off' });
    expect(sync.bootstrap.dcs.postgresql.parameters.synchronous_commit).toBeUndefined();
  });
});

it('runs one etcd member on the last two ports', () => {
  const args = etcdArgs(spec);
  expect(args[args.indexOf('--listen-client-urls') + 1]).toBe('http://127.0.0.1:30008');
  expect(args[args.indexOf('--listen-peer-urls') + 1]).toBe('http://127.0.0.1:30009');
  expect(args[args.indexOf('--data-dir') + 1]).toBe('/c/etcd');
});
