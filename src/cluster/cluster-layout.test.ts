import { describe, expect, it } from 'vitest';
import { ClusterError } from './cluster-error.js';
import {
  type ClusterSpec,
  clusterNodes,
  haPorts,
  lastPort,
  layoutDifferences,
  memberOf,
  nodeOf,
  portCount,
  portOf,
  topologyOf,
  validateSpec,
} from './cluster-layout.js';

const spec: ClusterSpec = { dir: '/c', shards: 3, replicas: 1, basePort: 54320 };

describe('ports (the documented layout)', () => {
  it('puts shard i primary at base + i*(replicas+1) and replica j right after it', () => {
    expect(clusterNodes(spec).map((n) => [n.shardId, n.role, n.replicaIndex, n.port])).toEqual([
      [0, 'primary', null, 54320],
      [0, 'replica', 0, 54321],
      [1, 'primary', null, 54322],
      [1, 'replica', 0, 54323],
      [2, 'primary', null, 54324],
      [2, 'replica', 0, 54325],
    ]);
  });

  it('handles several replicas and none', () => {
    const two = { ...spec, replicas: 2 };
    expect(portOf(two, 1, 'primary')).toBe(54323);
    expect(portOf(two, 1, 'replica', 1)).toBe(54325);
    expect(lastPort(two)).toBe(54328);
    expect(clusterNodes({ ...spec, replicas: 0 }).map((n) => n.port)).toEqual([54320, 54321, 54322]);
  });
});

describe('nodeOf', () => {
  it('lays out data directories and logs per shard', () => {
    expect(nodeOf(spec, 1, 'replica', 0)).toEqual({
      shardId: 1,
      member: 1,
      name: 'shard1_node1',
      role: 'replica',
      replicaIndex: 0,
      port: 54323,
      dataDir: '/c/shard-1/replica-0',
      logFile: '/c/shard-1/replica-0.log',
      label: 'shard 1 replica 0',
    });
  });

  it('refuses nodes the cluster does not have', () => {
    expect(() => nodeOf(spec, 3, 'primary')).toThrow('no shard 3: the cluster has shards 0..2');
    expect(() => nodeOf(spec, 0, 'replica', 1)).toThrow('no replica 1 in shard 0');
  });
});

describe('roles after a switchover', () => {
  const two: ClusterSpec = { ...spec, replicas: 2, primaries: [0, 1, 2] };

  it('keeps each member on its directory and port, and moves the roles', () => {
    expect(nodeOf(two, 1, 'primary')).toMatchObject({ member: 1, port: 54324, dataDir: '/c/shard-1/replica-0', label: 'shard 1 primary' });
    expect(nodeOf(two, 1, 'replica', 0)).toMatchObject({
      member: 0,
      port: 54323,
      dataDir: '/c/shard-1/primary',
      label: 'shard 1 replica 0',
    });
    expect(nodeOf(two, 1, 'replica', 1)).toMatchObject({ member: 2, port: 54325 });
    expect(nodeOf(two, 2, 'replica', 1)).toMatchObject({ member: 1 });
    expect(memberOf(two, 2, 2)).toMatchObject({ role: 'primary', replicaIndex: null });
    expect(memberOf(two, 2, 0)).toMatchObject({ role: 'replica', replicaIndex: 0 });
  });

  it('names the new primary in the topology file', () => {
    const topology = topologyOf({ ...spec, primaries: [1, 0, 0] });
    expect(topology.shards[0]?.primary.port).toBe(54321);
    expect(topology.shards[0]?.replicas.map((r) => r.port)).toEqual([54320]);
    expect(topology.shards[1]?.primary.port).toBe(54322);
  });

  it('lists every node once, the primary of each shard first', () => {
    expect(clusterNodes(two).map((n) => `${n.shardId}:${n.member}:${n.role}`)).toEqual([
      '0:0:primary',
      '0:1:replica',
      '0:2:replica',
      '1:1:primary',
      '1:0:replica',
      '1:2:replica',
      '2:2:primary',
      '2:0:replica',
      '2:1:replica',
    ]);
  });
});

describe('Patroni ports', () => {
  it('puts one REST API port per node after the PostgreSQL ports, then etcd client and peer', () => {
    const ha: ClusterSpec = { ...spec, ha: 'patroni' };
    const ports = haPorts(ha);
    expect([ports.restApi(0, 0), ports.restApi(0, 1), ports.restApi(2, 1), ports.etcdClient, ports.etcdPeer]).toEqual([
      54326, 54327, 54331, 54332, 54333,
    ]);
    expect(lastPort(ha)).toBe(54333);
    expect(portCount(ha)).toBe(14);
    expect(portCount(spec)).toBe(6);
  });
});

describe('validateSpec', () => {
  const invalid = (patch: Partial<ClusterSpec>) => {
    try {
      validateSpec({ ...spec, ...patch });
    } catch (err) {
      expect(err).toBeInstanceOf(ClusterError);
      return (err as ClusterError).message;
    }
    return null;
  };

  it('accepts the defaults', () => expect(invalid({})).toBeNull());
  it('refuses zero shards', () => expect(invalid({ shards: 0 })).toMatch(/^shards: /));
  it('refuses negative replicas', () => expect(invalid({ replicas: -1 })).toMatch(/^replicas: /));
  it('refuses privileged ports', () => expect(invalid({ basePort: 80 })).toMatch(/^base port: /));
  it('refuses a range past 65535', () => expect(invalid({ basePort: 65534 })).toMatch(/last port \(65539\)/));
  it('refuses database names that would need quoting', () => expect(invalid({ dbname: 'Robert"); DROP' })).toMatch(/^dbname: /));
  it('refuses synchronous replication without a replica', () =>
    expect(invalid({ replicas: 0, synchronous: true })).toMatch(/^synchronous: /));
  it('refuses primaries that are not members', () => expect(invalid({ primaries: [0, 2, 0] })).toMatch(/^primaries: /));
  it('counts the Patroni ports in the range', () => expect(invalid({ basePort: 65530, ha: 'patroni' })).toMatch(/last port \(65543\)/));
});

describe('topologyOf', () => {
  it('writes the topology file shape', () => {
    expect(topologyOf({ ...spec, shards: 1 })).toEqual({
      shards: [
        {
          shardId: 0,
          primary: { host: '127.0.0.1', port: 54320, user: 'postgres', password: '', dbname: 'shardgate' },
          replicas: [{ host: '127.0.0.1', port: 54321, user: 'postgres', password: '', dbname: 'shardgate' }],
        },
      ],
    });
  });

  it('can name another database', () => {
    expect(topologyOf(spec, 't_x').shards[2]?.replicas[0]?.dbname).toBe('t_x');
  });
});

describe('layoutDifferences', () => {
  it('names each contradicting option, and ignores fsync', () => {
    expect(layoutDifferences(spec, { ...spec, fsync: false, synchronous: true })).toEqual([]);
    expect(layoutDifferences(spec, { ...spec, ha: 'patroni' })).toEqual(['--ha patroni (cluster has none)']);
    expect(layoutDifferences(spec, { ...spec, shards: 2, basePort: 6000 })).toEqual([
      '--shards 2 (cluster has 3)',
      '--base-port 6000 (cluster has 54320)',
    ]);
  });
});
