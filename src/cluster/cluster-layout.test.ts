import { describe, expect, it } from 'vitest';
import { ClusterError } from './cluster-error.js';
import { type ClusterSpec, clusterNodes, layoutDifferences, lastPort, nodeOf, portOf, topologyOf, validateSpec } from './cluster-layout.js';

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
    expect(layoutDifferences(spec, { ...spec, fsync: false })).toEqual([]);
    expect(layoutDifferences(spec, { ...spec, shards: 2, basePort: 6000 })).toEqual([
      '--shards 2 (cluster has 3)',
      '--base-port 6000 (cluster has 54320)',
    ]);
  });
});
