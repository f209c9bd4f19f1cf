import type { ModuleApi } from '../module-api.js';

/** `createUser`, `updateUser`, `deleteUser`: every argument validated before any SQL, so a bad request changes nothing. */
export function defineUserMutations(api: ModuleApi): void {
  const { builder, users } = api;

  const CreateUserInput = builder.inputType('CreateUserInput', {
    fields: (t) => ({
      userId: t.id({ required: true }),
      name: t.string({ required: true }),
      email: t.string({ required: true }),
    }),
  });

  const UpdateUserInput = builder.inputType('UpdateUserInput', {
    fields: (t) => ({
      name: t.string(),
      email: t.string(),
    }),
  });

  builder.mutationFields((t) => ({
    createUser: t.field({
      type: api.User,
      args: { input: t.arg({ type: CreateUserInput, required: true }) },
      resolve: (_root, { input }, ctx) =>
        users.create(ctx, {
          userId: api.validUserId('input.userId', input.userId),
          name: users.validName('input.name', input.name),
          email: users.validEmail('input.email', input.email),
        }),
    }),
    updateUser: t.field({
      type: api.User,
      args: {
        userId: t.arg.id({ required: true }),
        input: t.arg({ type: UpdateUserInput, required: true }),
      },
      resolve: (_root, { userId, input }, ctx) => {
        const patch = {
          name: input.name == null ? undefined : users.validName('input.name', input.name),
          email: input.email == null ? undefined : users.validEmail('input.email', input.email),
        };
        return users.update(ctx, api.validUserId('userId', userId), patch);
      },
    }),
    deleteUser: t.boolean({
      description: 'true if it existed',
      args: { userId: t.arg.id({ required: true }) },
      resolve: (_root, { userId }, ctx) => users.delete(ctx, api.validUserId('userId', userId)),
    }),
  }));
}
