import type { User } from '../../repository/user.js';
import { builder } from '../builder.js';

/**
 * The `User` type's reference. The gateway's users are the shard key's
 * owners, so every module may extend `User`; the built-in users module
 * (src/modules/users) gives it its fields and makes it a federation entity,
 * through the module API like any other module.
 */
export const UserRef = builder.objectRef<User>('User');
