import type { Timestamp } from './timestamp.js';

/** A user as stored on its shard. */
export interface User {
  readonly userId: string;
  readonly name: string;
  readonly email: string;
  /** Canonical UTC text with microseconds (see timestamp.ts). */
  readonly createdAt: Timestamp;
  /** The shard that stores this user. */
  readonly shardId: number;
}

export interface NewUser {
  readonly userId: string;
  readonly name: string;
  readonly email: string;
}

/** Fields to change; an absent field keeps its value. */
export interface UserPatch {
  readonly name?: string | undefined;
  readonly email?: string | undefined;
}

export type SortDirection = 'asc' | 'desc';

/** The keyset position of a user in the global order (createdAt, then userId). */
export interface SortKey {
  readonly createdAt: Timestamp;
  readonly userId: string;
}
