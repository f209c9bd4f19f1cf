import { ConfigError } from './config-error.js';
import { parseTopology, type Env } from './load-topology.js';
import type { NodeConfig, Topology } from './topology.js';

/*
 * A layout recorded in the databases by `shardgate reshard`, for every
 * gateway to adopt. It is the new topology file's document without its
 * passwords: no secret is written to a table. `passwordEnv` names are kept;
 * a node without one gets the password of the node at the same address and
 * user in the gateway's running topology, else SHARDGATE_DB_PASSWORD.
 */

/** The topology file's document as written, read as `loadTopologyFile` reads it. */
export { readTopologyDocument } from './load-topology.js';

/** The document to record: every `password` removed. */
export function recordableTopology(document: unknown): unknown {
  if (Array.isArray(document)) return document.map(recordableTopology);
  if (document === null || typeof document !== 'object') return document;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(document)) if (key !== 'password') out[key] = recordableTopology(value);
  return out;
}

/**
 * A recorded layout as a Topology for this gateway. Throws ConfigError when
 * the record is not a valid topology (or names an unset passwordEnv).
 */
export function topologyFromRecord(recorded: unknown, running: Topology, env: Env = process.env): Topology {
  const known = new Map<string, string>();
  for (const shard of running.shards) {
    for (const node of [shard.primary, ...shard.replicas]) if (node.password) known.set(credentialKey(node), node.password);
  }
  // The running topology's password for the same address and user comes before SHARDGATE_DB_PASSWORD.
  const withPassword = (node: unknown): unknown => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return node;
    const n = node as Record<string, unknown>;
    if (n.passwordEnv !== undefined || (typeof n.password === 'string' && n.password !== '')) return node;
    const password = known.get(`${String(n.user)}@${String(n.host)}:${String(n.port)}`);
    return password === undefined ? node : { ...n, password };
  };
  let document = recorded;
  if (document !== null && typeof document === 'object' && Array.isArray((document as { shards?: unknown }).shards)) {
    const shards = (document as { shards: unknown[] }).shards.map((shard) => {
      if (shard === null || typeof shard !== 'object') return shard;
      const s = shard as Record<string, unknown>;
      return { ...s, primary: withPassword(s.primary), ...(Array.isArray(s.replicas) ? { replicas: s.replicas.map(withPassword) } : {}) };
    });
    document = { ...(document as object), shards };
  }
  return parseTopology(document, env);
}

/** True when both list the same nodes (address, user, database) in the same shards and roles; passwords aside. */
export function sameNodes(a: Topology, b: Topology): boolean {
  const describe = (t: Topology) => JSON.stringify(t.shards.map((s) => [s.shardId, nodeKey(s.primary), s.replicas.map(nodeKey)]));
  return describe(a) === describe(b);
}

function nodeKey(n: NodeConfig): string {
  return `${n.user}@${n.host}:${n.port}/${n.dbname}`;
}

function credentialKey(n: NodeConfig): string {
  return `${n.user}@${n.host}:${n.port}`;
}
