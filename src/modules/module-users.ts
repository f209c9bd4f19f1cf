import type { GatewayContext } from '../graphql/context.js';
import { compareCodePoints } from '../graphql/pagination/compare-code-points.js';
import { storedUserId, validEmail, validName, validUserIds } from '../graphql/validate-input.js';
import type { User } from '../repository/user.js';
import { emailLookupKey, emailMatches } from '../sharding/email-lookup-key.js';
import { readPolicyFor } from '../sharding/read-policy.js';
import type { ModuleUser, ModuleUsers, RequestContext } from './module-api.js';

const gateway = (ctx: RequestContext) => ctx as GatewayContext;

/**
 * The module API's `users`: the request's user batch and the users
 * repository of the request's context (its statement budget, deadline and
 * consistency token), so that a module reaches users only the way the
 * gateway itself does.
 */
export const MODULE_USERS: ModuleUsers = Object.freeze({
  load: (ctx, userId, consistency = 'EVENTUAL') => gateway(ctx).loaders.for(consistency).load(userId),
  loadMany: (ctx, userIds, consistency = 'EVENTUAL') => gateway(ctx).loaders.for(consistency).loadMany(userIds),
  pageOnShard: (ctx, shardId, query, consistency) => gateway(ctx).users.pageOnShard(shardId, query, readPolicyFor(consistency)),
  countOnShard: (ctx, shardId, consistency) => gateway(ctx).users.countOnShard(shardId, readPolicyFor(consistency)),
  byEmail: usersByEmail,
  create: (ctx, input) => gateway(ctx).users.create(input),
  update: (ctx, userId, patch) => gateway(ctx).users.update(userId, patch),
  delete: (ctx, userId) => gateway(ctx).users.delete(userId),
  validName: (field, value) => validName(field, value),
  validEmail: (field, value) => validEmail(field, value),
  validUserIds: (field, values) => validUserIds(field, values),
  isStoredUserId: (userId) => {
    try {
      storedUserId('userId', userId);
      return true;
    } catch {
      return false;
    }
  },
} satisfies ModuleUsers);

/**
 * Never a scatter: one statement on the email's lookup shard, then the
 * owners through the request's user batch (the owners living on the lookup
 * shard come with the first statement). A lookup row is only a hint: an
 * owner counts when its own row holds the email now; a row whose owner does
 * not (a write that failed half-way, an email that moved on) is left out,
 * and repaired in the background once its write can no longer land.
 */
async function usersByEmail(ctx: RequestContext, email: string, consistency: 'EVENTUAL' | 'STRONG'): Promise<ModuleUser[]> {
  const { users, loaders } = gateway(ctx);
  const key = emailLookupKey(validEmail('email', email));
  const claims = await users.emails.find(key, readPolicyFor(consistency));
  if (claims.length === 0) return [];
  for (const claim of claims) if (claim.owner !== undefined) loaders.prime(consistency, claim.userId, claim.owner);
  const owners = await loaders.for(consistency).loadMany(claims.map((c) => c.userId));
  const found = new Map<string, User>();
  claims.forEach((claim, i) => {
    const owner = owners[i];
    if (owner instanceof Error) throw owner;
    if (owner && emailMatches(owner.email, key)) found.set(owner.userId, owner);
    else users.emails.scheduleRepair(key, claim);
  });
  return [...found.values()].sort((a, b) => compareCodePoints(a.userId, b.userId));
}
