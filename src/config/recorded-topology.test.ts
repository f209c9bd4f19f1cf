import { describe, expect, it } from 'vitest';
import { parseTopology } from './load-topology.js';
import { recordableTopology, sameNodes, topologyFromRecord } from './recorded-topology.js';

const doc = {
  shards: [
    {
      shardId: 0,
      primary: { host: 'a', port: 1, user: 'u', password: 'secret', dbname: 'd' },
      replicas: [{ host: 'b', port: 2, user: 'u', passwordEnv: 'PW_B', dbname: 'd' }],
    },
    { shardId: 1, primary: { host: 'c', port: 3, user: 'u', password: 'other', dbname: 'd' } },
  ],
};

describe('recorded topology', () => {
  it('records no password, keeps passwordEnv names', () => {
    const recorded = recordableTopology(doc);
    expect(JSON.stringify(recorded)).not.toMatch(/secret|other|"password"/);
    expect(JSON.stringify(recorded)).toContain('"passwordEnv":"PW_B"');
  });

  it('takes passwords from the running topology by address and user, else from the environment', () => {
    const running = parseTopology(
      { shards: [{ shardId: 0, primary: { host: 'a', port: 1, user: 'u', password: 'secret', dbname: 'x' } }] },
      {},
    );
    const t = topologyFromRecord(recordableTopology(doc), running, { PW_B: 'from-env', SHARDGATE_DB_PASSWORD: 'default' });
    expect(t.shards[0]!.primary.password).toBe('secret');
    expect(t.shards[0]!.replicas[0]!.password).toBe('from-env');
    expect(t.shards[1]!.primary.password).toBe('default');
    expect(sameNodes(t, parseTopology(doc, { PW_B: 'x' }))).toBe(true);
    expect(sameNodes(t, running)).toBe(false);
  });

  it('an invalid record is refused like an invalid file', () => {
    expect(() => topologyFromRecord({ shards: [] }, parseTopology(doc, { PW_B: 'x' }), {})).toThrow(/at least one shard/);
  });
});
