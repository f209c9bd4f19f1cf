import { GraphQLError, type GraphQLResolveInfo } from 'graphql';
import { ShardUnavailableError } from '../repository/errors.js';
import { domainErrorToGraphQL } from './errors.js';

/**
 * The errors of a field that answered anyway: a page merged without the
 * shards that could not answer carries one SHARD_UNAVAILABLE error per
 * missing shard beside its data. A resolver can return data or throw, not
 * both, so it records them here and the server appends them to the result.
 * One error per shard and field, however many parts of the field (the page,
 * its totalCount) missed that shard.
 */
export class PartialErrors {
  private readonly errors = new Map<string, GraphQLError>();

  /** Records that `shardId` did not answer for the field at `info` (the `users` field, for instance). */
  missingShard(info: Pick<GraphQLResolveInfo, 'path' | 'fieldNodes'>, shardId: number, cause: unknown): void {
    const path = pathToArray(info.path);
    const key = `${JSON.stringify(path)}#${shardId}`;
    if (this.errors.has(key)) return;
    const detail = cause instanceof Error ? cause.message : String(cause);
    const template = new GraphQLError('', { nodes: info.fieldNodes, path });
    this.errors.set(key, domainErrorToGraphQL(new ShardUnavailableError(shardId, detail, { cause }), template));
  }

  /** Everything recorded, in the order it was. */
  all(): GraphQLError[] {
    return [...this.errors.values()];
  }
}

function pathToArray(path: GraphQLResolveInfo['path'] | undefined): (string | number)[] {
  const out: (string | number)[] = [];
  for (let p = path; p; p = p.prev) out.push(p.key);
  return out.reverse();
}
