import type { User } from '../../repository/user.js';
import { emailLookupKey, emailMatches } from '../../sharding/email-lookup-key.js';
import { readPolicyFor } from '../../sharding/read-policy.js';
import { builder } from '../builder.js';
import { compareCodePoints } from '../pagination/compare-sort-keys.js';
import { validEmail } from '../validate-input.js';
import { ReadConsistencyEnum } from './read-consistency.js';
import { UserRef } from './user.js';

builder.queryFields((t) => ({
  usersByEmail: t.field({
    type: [UserRef],
    description: 'the users whose email equals this one, compared case-insensitively; ordered by userId',
    args: {
      email: t.arg.string({ required: true }),
      consistency: t.arg({ type: ReadConsistencyEnum, defaultValue: 'EVENTUAL' }),
    },
    // Never a scatter: one statement on the email's lookup shard, then the
    // owners through the request's user loader (the owners living on the
    // lookup shard come with the first statement). A lookup row is only a hint:
    // an owner counts when its own row holds the email now; a row whose owner
    // does not (a write that failed half-way, an email that moved on) is
    // left out, and repaired in the background once its write can no longer land.
    resolve: async (_root, args, ctx) => {
      const key = emailLookupKey(validEmail('email', args.email));
      const consistency = args.consistency ?? 'EVENTUAL';
      const claims = await ctx.users.emails.find(key, readPolicyFor(consistency));
      if (claims.length === 0) return [];
      for (const claim of claims) if (claim.owner !== undefined) ctx.loaders.prime(consistency, claim.userId, claim.owner);
      const owners = await ctx.loaders.for(consistency).loadMany(claims.map((c) => c.userId));
      const found = new Map<string, User>();
      claims.forEach((claim, i) => {
        const owner = owners[i];
        if (owner instanceof Error) throw owner;
        if (owner && emailMatches(owner.email, key)) found.set(owner.userId, owner);
        else ctx.users.emails.scheduleRepair(key, claim);
      });
      return [...found.values()].sort((a, b) => compareCodePoints(a.userId, b.userId));
    },
  }),
}));
