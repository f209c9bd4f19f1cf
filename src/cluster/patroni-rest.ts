import { settleAll } from '../util/settle-all.js';
import { type ClusterSpec, HOST, haPorts, shardMembers } from './cluster-layout.js';

/** Patroni's view of one member (GET /cluster of its REST API). */
export interface PatroniMember {
  readonly name: string;
  /** `leader`, `replica`, `sync_standby`, ... as Patroni says. */
  readonly role: string;
  /** `running`, `streaming`, `starting`, `stopped`, ... */
  readonly state: string;
  readonly timeline: number | null;
}

const REQUEST_TIMEOUT_MS = 2_000;

/** GET a REST API path of one Patroni; null when it does not answer (down, starting). */
export async function patroniGet(port: number, path: string): Promise<unknown> {
  try {
    const res = await fetch(`http://${HOST}:${port}${path}`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    // /primary and /replica answer 503 with the same body when the role does not match.
    return (await res.json()) as unknown;
  } catch {
    return null;
  }
}

/**
 * Every member Patroni knows of, over all shards, by name: for each shard
 * the first of its Patronis that answers is asked (they share one view
 * through etcd). Members of a shard with no Patroni answering are absent.
 */
export async function patroniMembers(spec: ClusterSpec): Promise<Map<string, PatroniMember>> {
  const perShard = await settleAll(Array.from({ length: spec.shards }, (_, shardId) => shardPatroniMembers(spec, shardId)));
  return new Map(perShard.flatMap((m) => [...m]));
}

/** Patroni's view of one shard's members, by name; empty when none of its Patronis answers. */
export async function shardPatroniMembers(spec: ClusterSpec, shardId: number): Promise<Map<string, PatroniMember>> {
  const ports = haPorts(spec);
  const members = new Map<string, PatroniMember>();
  for (const node of shardMembers(spec, shardId)) {
    const body = (await patroniGet(ports.restApi(shardId, node.member), '/cluster')) as { members?: unknown } | null;
    if (body === null || !Array.isArray(body.members)) continue;
    for (const m of body.members as Record<string, unknown>[]) {
      if (typeof m['name'] !== 'string') continue;
      members.set(m['name'], {
        name: m['name'],
        role: String(m['role'] ?? '?'),
        state: String(m['state'] ?? '?'),
        timeline: typeof m['timeline'] === 'number' ? m['timeline'] : null,
      });
    }
    break;
  }
  return members;
}

/** The shard's leader per Patroni, as a member index; null when there is none running (or nobody answers). */
export async function patroniLeader(spec: ClusterSpec, shardId: number): Promise<number | null> {
  const members = await shardPatroniMembers(spec, shardId);
  for (const node of shardMembers(spec, shardId)) {
    const m = members.get(node.name);
    if (m?.role === 'leader' && m.state === 'running') return node.member;
  }
  return null;
}
