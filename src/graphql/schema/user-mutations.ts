import { builder } from '../builder.js';
import { validEmail, validName, validUserId } from '../validate-input.js';
import { UserRef } from './user.js';

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

// Every argument is validated before any SQL is sent: a bad request changes nothing.
builder.mutationFields((t) => ({
  createUser: t.field({
    type: UserRef,
    args: { input: t.arg({ type: CreateUserInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.users.create({
        userId: validUserId('input.userId', input.userId),
        name: validName('input.name', input.name),
        email: validEmail('input.email', input.email),
      }),
  }),
  updateUser: t.field({
    type: UserRef,
    args: {
      userId: t.arg.id({ required: true }),
      input: t.arg({ type: UpdateUserInput, required: true }),
    },
    resolve: (_root, { userId, input }, ctx) => {
      const patch = {
        name: input.name == null ? undefined : validName('input.name', input.name),
        email: input.email == null ? undefined : validEmail('input.email', input.email),
      };
      return ctx.users.update(validUserId('userId', userId), patch);
    },
  }),
  deleteUser: t.boolean({
    description: 'true if it existed',
    args: { userId: t.arg.id({ required: true }) },
    resolve: (_root, { userId }, ctx) => ctx.users.delete(validUserId('userId', userId)),
  }),
}));
