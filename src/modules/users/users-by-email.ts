import type { ModuleApi } from '../module-api.js';

/** `usersByEmail`: never a scatter (see the module API's `users.byEmail`). */
export function defineUsersByEmail(api: ModuleApi): void {
  api.builder.queryFields((t) => ({
    usersByEmail: t.field({
      type: [api.User],
      description: 'the users whose email equals this one, compared case-insensitively; ordered by userId',
      args: {
        email: t.arg.string({ required: true }),
        consistency: t.arg({ type: api.ReadConsistency, defaultValue: 'EVENTUAL' }),
      },
      resolve: (_root, args, ctx) => api.users.byEmail(ctx, api.users.validEmail('email', args.email), args.consistency ?? 'EVENTUAL'),
    }),
  }));
}
