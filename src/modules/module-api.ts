/*
 * The public module API of shardgate: what a module file exports, and what
 * its schema function receives at run time. A module imports these types
 * only (`import type { ShardgateModule } from 'shardgate/module'`, or a JSDoc
 * `@type {import('shardgate/module').ShardgateModule}`): everything it
 * needs at run time arrives as the argument of `schema`, so a module has no
 * run-time dependency on shardgate. See docs/modules.md.
 *
 * This file holds types only (it compiles to an empty module).
 */
import type SchemaBuilder from '@pothos/core';
import type { EnumRef, ImplementableObjectRef, ObjectRef, ScalarRef } from '@pothos/core';

/** A module: the default export of its file. */
export interface ShardgateModule {
  /** Unique among the loaded modules: lower case letters, digits and `_`, starting with a letter (e.g. `notes`). */
  readonly name: string;
  /**
   * The module's schema changes, in order. Each is applied once per shard
   * primary (after shardgate's own), in one transaction per shard with the
   * others pending, and recorded under (module name, id) in
   * `shardgate_module_migrations`. Append new ones; never edit an applied one.
   */
  readonly migrations?: readonly ModuleMigration[];
  /**
   * The module's tables whose rows belong to one user and live on that
   * user's shard. Each gets the layout guard, and `shardgate reshard` moves,
   * verifies and cleans its rows with their owner.
   */
  readonly tables?: readonly ModuleTable[];
  /** Adds the module's types and fields to the gateway's schema. Called once, at start-up. */
  schema?(api: ModuleApi): void;
}

export interface ModuleMigration {
  /** Unique within the module, e.g. `001_notes`. */
  readonly id: string;
  /** One or more SQL statements, run in order (no parameters). */
  readonly sql: string | readonly string[];
}

export interface ModuleTable {
  /** The table's name (lower case, unquoted identifier). */
  readonly table: string;
  /** The column holding the owning user's userId: the shard key. */
  readonly ownerColumn: string;
}

/** The per-request context every resolver receives; pass it to the API's per-request members. */
export interface RequestContext {
  /** The request's id (also in logs and in masked errors). */
  readonly requestId: string;
}

/** `EVENTUAL` reads a replica (falling back to the primary), `STRONG` the primary. */
export type ReadConsistency = 'EVENTUAL' | 'STRONG';

/** The scalars and context of the gateway's schema builder, for Pothos' typing. */
export interface ModuleSchemaTypes {
  Context: RequestContext;
  DefaultFieldNullability: false;
  Scalars: {
    ID: { Input: string; Output: string };
    DateTime: { Input: string; Output: string };
  };
}

/** The gateway's Pothos schema builder (with the directives and federation plugins). */
export type ModuleBuilder = InstanceType<typeof SchemaBuilder<PothosSchemaTypes.ExtendDefaultTypes<ModuleSchemaTypes>>>;

/** What `builder.objectRef<T>(name)` returns, for JavaScript modules to name it in JSDoc (`@type {ModuleObjectRef<Note>}`). */
export type ModuleObjectRef<T> = ImplementableObjectRef<PothosSchemaTypes.ExtendDefaultTypes<ModuleSchemaTypes>, T>;

/** A user, as `User` fields receive it. */
export interface ModuleUser {
  readonly userId: string;
  readonly name: string;
  readonly email: string;
  /** UTC text with microseconds. */
  readonly createdAt: string;
  readonly shardId: number;
}

/** A SQL statement declared by a module (see ModuleApi.statement): values travel as `$n` parameters only. */
export interface ModuleStatement {
  /** `mod_<module>_<name>`: the prepared statement's name, and the name in spans and metrics. */
  readonly name: string;
  readonly text: string;
}

export interface ModuleRows<R> {
  readonly rows: R[];
  readonly rowCount: number;
}

/** Statements of one transaction, on one shard's primary. */
export interface ModuleTransaction {
  execute<R extends object = Record<string, unknown>>(stmt: ModuleStatement, params?: readonly unknown[]): Promise<ModuleRows<R>>;
}

/**
 * The door to PostgreSQL for one request. Every statement is charged to the
 * request's statement budget, runs within its deadline, honours its
 * consistency token (and a write hands one back), and gets a span and
 * metrics; writes wait out a failover and are retried after a reshard's
 * cutover. Nothing of that is up to the module.
 */
export interface ModuleDoor {
  /**
   * One read on `shardId`, by consistency. `batchSize`: how many keys the
   * statement serves (a batch's size, reported on its span). `timestamptz`
   * columns arrive as UTC text with microseconds (`2026-11-23T21:07:00.123456Z`),
   * which sorts as text and goes back to PostgreSQL as it is.
   * @default consistency EVENTUAL
   */
  read<R extends object = Record<string, unknown>>(
    shardId: number,
    stmt: ModuleStatement,
    params?: readonly unknown[],
    options?: { consistency?: ReadConsistency; batchSize?: number },
  ): Promise<ModuleRows<R>>;
  /** One write on the primary of `userId`'s shard. */
  write<R extends object = Record<string, unknown>>(
    userId: string,
    stmt: ModuleStatement,
    params?: readonly unknown[],
  ): Promise<ModuleRows<R> & { shardId: number }>;
  /** A transaction on the primary of `userId`'s shard; `work` may run again if a reshard refused it before commit. */
  transaction<T>(userId: string, work: (tx: ModuleTransaction, shardId: number) => Promise<T>): Promise<T>;
}

/** One kind of per-request, per-shard batch. */
export interface ModuleBatch<K, V> {
  /** Everything the keys (all stored on `shardId`) name, in one statement, by `idOf(key)`. */
  load(shardId: number, keys: readonly K[]): Promise<ReadonlyMap<string, V> | Iterable<readonly [string, V]>>;
  /** The answer for a key the shard does not have (`[]`, `null`, `0`). */
  readonly missing: V;
  /** The userId whose shard stores what `key` names. @default the key itself (a userId) */
  ownerOf?(key: K): string;
  /** The key's identity in the batch. @default String(key) */
  idOf?(key: K): string;
  /**
   * True for a field below other reads (`User.notes`): the batch waits until
   * the request's reads that may bring more users have answered, so that
   * users reached by different paths share one statement per shard. False
   * for a root lookup (which may itself bring parents). @default true
   */
  readonly nested?: boolean;
}

export interface ModuleLoader<K, V> {
  load(key: K): Promise<V>;
  loadMany(keys: readonly K[]): Promise<(V | Error)[]>;
}

export interface KeysetPageQuery<T> {
  /** Rows to return (validated by the module: 0..100 is the gateway's rule). */
  readonly first: number;
  /** One shard's next `limit` rows in the page's order, strictly after the cursor (one statement). */
  fetch(shardId: number, limit: number): Promise<T[]>;
  /** The page's order, the same every shard's rows come in (direction included). */
  compare(a: T, b: T): number;
  /** The userId whose shard owns the row. */
  ownerOf(row: T): string;
  /** The opaque cursor that resumes strictly after `row`. */
  cursorOf(row: T): string;
}

export interface KeysetPage<T> {
  readonly edges: { cursor: string; node: T }[];
  readonly pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * What a field costs in SQL statements at most, for the limits
 * (SHARDGATE_MAX_STATEMENTS): `perShard` statements on every shard plus
 * `fixed` ones, per selection of the field.
 */
export interface FieldCost {
  readonly perShard?: number;
  readonly fixed?: number;
  /**
   * More for each selection (each response key) of a sub-field, by its name:
   * `{ totalCount: { perShard: 1 } }` for a connection whose `totalCount`
   * asks every shard again.
   */
  readonly perSelectionOf?: Readonly<Record<string, FieldCost>>;
  /**
   * The field looks ids up through the request's batch named `batch`: every
   * lookup of that batch with one `consistency` argument shares it, which
   * costs at most one statement per shard and never more than the ids
   * asked (the list argument `ids`, or one when `ids` is absent).
   */
  readonly lookup?: { readonly batch: string; readonly ids?: string };
  /**
   * Email claims the field makes (`users.create` and `users.update` make
   * one): each costs one statement, or a few more when the gateway keeps
   * emails unique (a claim may then find and take over a stale one).
   */
  readonly emailClaims?: number;
  /** What the field costs instead when the gateway keeps emails unique (an email then has one owner). */
  readonly withUniqueEmails?: FieldCost;
}

/** Each shard's position in a keyset walk over every shard (a partial page keeps one per shard). */
export interface ShardPositions<K> {
  readonly shardCount: number;
  /** By shard id; null: from that shard's start. */
  readonly positions: readonly (K | null)[];
}

/** How a sort key is written into a cursor and read back; `read` returns null for anything `write` would not have made. */
export interface KeyText<K> {
  write(key: K): string;
  read(text: string): K | null;
}

/** The text of per-shard positions, to embed in a module's own cursors (they stay opaque to clients). */
export interface ModuleCursors {
  /** The most shards a per-shard cursor may name. */
  readonly maxShards: number;
  /** One line of text per distinct position (never a line break inside a key), tagged with one lower case letter. */
  writePositions<K>(tag: string, positions: ShardPositions<K>, keys: KeyText<K>): string;
  /** What `writePositions` wrote; null for any other text. */
  readPositions<K>(text: string, keys: KeyText<K>): { tag: string; positions: ShardPositions<K> } | null;
  /** The key every shard stands at (null: all at their start); undefined when they differ. */
  commonPosition<K>(positions: ShardPositions<K>, compare: (a: K, b: K) => number): K | null | undefined;
  /** Every one of `shardCount` shards at `key`. */
  uniformPositions<K>(shardCount: number, key: K | null): ShardPositions<K>;
  /** A cursor's text as the client sees it: the base64url of its UTF-8. */
  encodeText(text: string): string;
  /**
   * What `encodeText` made, or null for anything else: a text longer than
   * `maxChars` (checked first, bounding the work a forged cursor causes),
   * not canonical base64url, or not valid UTF-8.
   */
  decodeText(text: string, maxChars: number): string | null;
  /** Whether `text` is a timestamp as the door hands them out (UTC, microseconds) and a real instant. */
  isTimestamp(text: string): boolean;
  /** Code point order, which is PostgreSQL's `COLLATE "C"`: the tie-break that agrees with SQL on every character. */
  compareText(a: string, b: string): number;
}

/** A shard that could not answer a partial page or count. */
export interface MissingShard {
  readonly shardId: number;
  readonly error: unknown;
}

export interface ShardWalkQuery<T, K> {
  /** Rows to return. */
  readonly first: number;
  /** Where each shard stands (a decoded cursor); null on the first page. */
  readonly after: ShardPositions<K> | null;
  /** When shards cannot answer: merge the others instead of failing (see `missingShard`). */
  readonly allowPartialResults: boolean;
  /** One shard's next `limit` rows strictly after `after` (from its start when null), in walk order: one statement. */
  fetch(shardId: number, after: K | null, limit: number): Promise<readonly T[]>;
  keyOf(row: T): K;
  /** The walk's order on keys (direction included). */
  compare(a: K, b: K): number;
  /** The userId whose shard owns the row. */
  ownerOf(row: T): string;
}

export interface ShardWalkPage<T, K> {
  /** At most `first` rows, in walk order. */
  readonly items: readonly T[];
  /** True when rows may follow (more answered than fit, or a shard did not answer). */
  readonly hasNextPage: boolean;
  /** True when every shard stands at the row after each item: a cursor may then be that row's key alone. */
  readonly uniform: boolean;
  /** Where every shard stands after `items[index]` (that edge's cursor). */
  positionsAfter(index: number): ShardPositions<K>;
  /** Where the next page starts when no item could be handed out; null when nothing is left. */
  readonly end: ShardPositions<K> | null;
  /** The shards that did not answer (only with `allowPartialResults`). */
  readonly missing: readonly MissingShard[];
}

/** Where a resolver stands in the response (its `info` argument): errors of a partial field are placed there. */
export type FieldPosition = object;

/** Errors a module may raise; they reach the client with their stable `extensions.code`. Anything else is masked. */
export interface ModuleErrors {
  /** `USER_NOT_FOUND`. */
  userNotFound(userId: string): Error;
  /** `BAD_USER_INPUT` with `extensions.field` = `field`. */
  badUserInput(field: string, message: string): Error;
  /** Whether `err` is PostgreSQL refusing a row for a foreign key (SQLSTATE 23503): e.g. its owner does not exist. */
  isForeignKeyViolation(err: unknown): boolean;
  /** Whether `err` is PostgreSQL refusing a duplicate key (SQLSTATE 23505). */
  isUniqueViolation(err: unknown): boolean;
  /**
   * An error the client sees with `extensions.code` = `code` (upper case
   * letters, digits and `_`, e.g. `ORDER_NOT_FOUND`) and this message, never masked.
   */
  withCode(code: string, message: string): Error;
}

/** Options of a statement declared with `api.statement`. */
export interface StatementOptions {
  /** Prepare once per connection and reuse it (hot statements); false for rare or one-off ones. @default true */
  readonly prepared?: boolean;
  /**
   * The text spans show, when `sql` carries a literal the module wrote into
   * it from a request (a validated page size): the same text with `?` there.
   * @default sql
   */
  readonly shownAs?: string;
}

/** One page of a connection type made by `ModuleApi.connection`. */
export interface ConnectionPage<T> {
  readonly edges: readonly { readonly cursor: string; readonly node: T }[];
  readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null; readonly missingShards?: readonly number[] };
  /** Only run when `totalCount` is selected: the total, and the shards that could not count (a partial page's). */
  totalCount(): Promise<{ total: number; missing: readonly MissingShard[] }>;
}

export interface ScatterConnectionQuery<T, K> extends ShardWalkQuery<T, K> {
  /** The cursor of an edge when every shard stands at its row (the common case): the row's key alone. */
  cursorOf(row: T): string;
  /** The cursor of per-shard positions (a partial page's): see `cursors.writePositions`. */
  positionsCursor(positions: ShardPositions<K>): string;
  /** One shard's count for `totalCount` (one statement), run only when it is selected. */
  count(shardId: number): Promise<number>;
  /** Marks every row read as read from a primary (`markStrong`): set for a `STRONG` page. @default false */
  readonly strong?: boolean;
}

/** What a module's `schema` function receives. */
export interface ModuleApi {
  /** The module's name. */
  readonly name: string;
  /** The gateway's Pothos builder: add types, and fields to `User`, `Query`, `Mutation`. */
  readonly builder: ModuleBuilder;
  /** The `User` type, to extend with `builder.objectFields(api.User, ...)`. */
  readonly User: ObjectRef<PothosSchemaTypes.ExtendDefaultTypes<ModuleSchemaTypes>, ModuleUser>;
  /** The `DateTime` scalar (ISO 8601 UTC text). */
  readonly DateTime: ScalarRef<PothosSchemaTypes.ExtendDefaultTypes<ModuleSchemaTypes>, string, string>;
  /** The `ReadConsistency` enum, for a `consistency` argument. */
  readonly ReadConsistency: EnumRef<PothosSchemaTypes.ExtendDefaultTypes<ModuleSchemaTypes>, ReadConsistency, ReadConsistency>;
  /**
   * Declares a statement (at start-up, or once per shape at run time: a name
   * is declared once). Its text uses `$1`, `$2`... for values.
   */
  statement(name: string, sql: string, options?: StatementOptions): ModuleStatement;
  /** The shard that stores `userId` and what it owns, under the layout of this moment. */
  shardIdOf(ctx: RequestContext, userId: string): number;
  /** The number of shards now (a reshard may change it while the gateway serves). */
  shardCount(ctx: RequestContext): number;
  /** The door, for this request. */
  db(ctx: RequestContext): ModuleDoor;
  /** This request's batch loader named `name` (include the arguments in the name: one loader per kind and arguments). */
  batch<K, V>(ctx: RequestContext, name: string, batch: ModuleBatch<K, V>): ModuleLoader<K, V>;
  /** A keyset page over every shard, all at once, merged (each shard's rows it no longer owns dropped). */
  scatterPage<T>(ctx: RequestContext, query: KeysetPageQuery<T>): Promise<KeysetPage<T>>;
  /**
   * A keyset page over every shard that keeps each shard's own position, so
   * that it may be served without some shards (`allowPartialResults`) and
   * resume them later: what `scatterPage` does, with the positions exposed
   * (encode them with `cursors`). Report each of `missing` with `missingShard`.
   */
  scatterWalk<T, K>(ctx: RequestContext, query: ShardWalkQuery<T, K>): Promise<ShardWalkPage<T, K>>;
  /**
   * `<name>Edge` (`cursor`, `node`) and `<name>Connection` (`edges`,
   * `pageInfo`, `totalCount`) over `node`: the connection types of the
   * gateway's pages. `totalCount` runs the page's count only when selected,
   * and reports the shards it could not count on the connection field.
   */
  connection<T>(
    name: string,
    node: ObjectRef<PothosSchemaTypes.ExtendDefaultTypes<ModuleSchemaTypes>, T>,
    options?: { totalCountDescription?: string },
  ): ObjectRef<PothosSchemaTypes.ExtendDefaultTypes<ModuleSchemaTypes>, ConnectionPage<T>>;
  /**
   * A page of a `connection` over every shard: `scatterWalk`, the edges'
   * cursors, `pageInfo` (with `missingShards`), each missing shard reported
   * on the field at `info`, and `totalCount` over every shard (or, with
   * `allowPartialResults`, over those that answer).
   */
  scatterConnection<T, K>(ctx: RequestContext, info: FieldPosition, query: ScatterConnectionQuery<T, K>): Promise<ConnectionPage<T>>;
  /** A sum over every shard (a `totalCount`), all at once. */
  scatterSum(ctx: RequestContext, count: (shardId: number) => Promise<number>): Promise<number>;
  /** A sum over the shards that answer, and those that did not (a partial page's `totalCount`). */
  scatterSumPartial(
    ctx: RequestContext,
    count: (shardId: number) => Promise<number>,
  ): Promise<{ total: number; missing: readonly MissingShard[] }>;
  /**
   * Adds one `SHARD_UNAVAILABLE` error naming `shardId` for the field at
   * `info` (the resolver's fourth argument) to the response, once per field
   * and shard, while the field itself answers with what the others gave.
   */
  missingShard(ctx: RequestContext, info: FieldPosition, shardId: number, error: unknown): void;
  /** Per-shard positions as cursor text (for `scatterWalk`). */
  readonly cursors: ModuleCursors;
  /**
   * A root read that may bring parents for nested batches (its rows' fields
   * read more): nested batches wait until it has answered, so that parents
   * reached by different paths share one statement per shard. Returns `work`.
   */
  track<T>(ctx: RequestContext, work: Promise<T>): Promise<T>;
  /** The consistency to read what hangs off `parent` with: STRONG when the parent came from a primary. */
  consistencyOf(ctx: RequestContext, parent: object): ReadConsistency;
  /** Marks `row` as read from a primary (STRONG): `consistencyOf` then answers STRONG for what hangs off it. */
  markStrong(ctx: RequestContext, row: object): void;
  /**
   * The user `userId`, through the request's user batch (one statement per
   * shard for every user the request looks up; a user it already has costs
   * nothing); null when there is none.
   */
  loadUser(ctx: RequestContext, userId: string, consistency?: ReadConsistency): Promise<ModuleUser | null>;
  /** The `PageInfo` type of the gateway's connections (`hasNextPage`, `endCursor`, `missingShards`). */
  readonly PageInfo: ObjectRef<
    PothosSchemaTypes.ExtendDefaultTypes<ModuleSchemaTypes>,
    { hasNextPage: boolean; endCursor: string | null; missingShards?: readonly number[] }
  >;
  /**
   * Declares the statement cost of a field the module adds, as
   * `Type.field` (`User.notes`, `Query.notes`, `Mutation.createNote`).
   * Undeclared fields of `User` and `Query` cost one statement per shard,
   * of `Mutation` one statement; other types' fields cost nothing.
   */
  cost(field: string, cost: FieldCost): void;
  /**
   * What resolving one `_entities` representation of the type `typename`
   * costs (a `lookup` joins that batch, with consistency EVENTUAL).
   */
  entityCost(typename: string, cost: FieldCost): void;
  /** A userId argument checked like the gateway's own (BAD_USER_INPUT naming `field`). */
  validUserId(field: string, value: string): string;
  /** A page size argument checked like the gateway's own (0..100, else BAD_USER_INPUT naming `field`). */
  validPageSize(field: string, value: number): number;
  /** The most ids a list argument may carry (the gateway's own lists refuse more). */
  readonly maxIds: number;
  readonly errors: ModuleErrors;
  /** The gateway's `Shard` type (`shards`), to extend with `builder.objectFields(api.Shard, ...)`. */
  readonly Shard: ObjectRef<PothosSchemaTypes.ExtendDefaultTypes<ModuleSchemaTypes>, { readonly id: number }>;
  /**
   * The gateway's users: the shard key's owners, their table, and the email
   * lookup. The built-in users module serves them as `User`; any module may
   * read them (a user it already holds costs nothing).
   */
  readonly users: ModuleUsers;
}

/** A keyset position in the users' global order: createdAt, then userId in code point order. */
export interface UserSortKey {
  readonly createdAt: string;
  readonly userId: string;
}

/**
 * The gateway's users, for one request at a time (`ctx`). Reads by id go
 * through the request's user batch (one statement per shard for every user
 * the request looks up, by any path); writes keep the email lookup in step
 * (a claim on the email's lookup shard, then the user's row).
 */
export interface ModuleUsers {
  /** A user by id through the request's batch; null when there is none. @default consistency EVENTUAL */
  load(ctx: RequestContext, userId: string, consistency?: ReadConsistency): Promise<ModuleUser | null>;
  /** Users by id through the request's batch, in the order asked: null where missing, the shard's error where a shard could not answer. */
  loadMany(ctx: RequestContext, userIds: readonly string[], consistency?: ReadConsistency): Promise<(ModuleUser | null | Error)[]>;
  /** One shard's next `limit` users strictly after `after` (from the start when null), in the order of `direction`: one statement. */
  pageOnShard(
    ctx: RequestContext,
    shardId: number,
    query: { after: UserSortKey | null; direction: 'asc' | 'desc'; limit: number },
    consistency: ReadConsistency,
  ): Promise<ModuleUser[]>;
  /** How many users one shard stores (rows a reshard copied in count until its cleanup): one statement. */
  countOnShard(ctx: RequestContext, shardId: number, consistency: ReadConsistency): Promise<number>;
  /**
   * The users whose email equals `email` case-insensitively, ordered by
   * userId: one statement on the email's lookup shard, then the owners
   * through the request's batch. Never a scatter.
   */
  byEmail(ctx: RequestContext, email: string, consistency: ReadConsistency): Promise<ModuleUser[]>;
  /** Creates a user (validated input). `USER_ALREADY_EXISTS`, or `EMAIL_ALREADY_EXISTS` with unique emails. */
  create(ctx: RequestContext, input: { userId: string; name: string; email: string }): Promise<ModuleUser>;
  /** Changes what `patch` names (validated); `USER_NOT_FOUND` when there is no such user. */
  update(ctx: RequestContext, userId: string, patch: { name?: string | undefined; email?: string | undefined }): Promise<ModuleUser>;
  /** Deletes the user and everything its shard stores for it (foreign keys with cascade); true if it existed. */
  delete(ctx: RequestContext, userId: string): Promise<boolean>;
  /** A name argument checked like the gateway's (BAD_USER_INPUT naming `field`). */
  validName(field: string, value: string): string;
  /** An email argument checked like the gateway's (BAD_USER_INPUT naming `field`). */
  validEmail(field: string, value: string): string;
  /** A list of userIds checked like the gateway's (at most `maxIds`, each a valid userId). */
  validUserIds(field: string, values: readonly string[]): readonly string[];
  /** Whether a row may hold `userId` (what a cursor written from a stored row may carry). */
  isStoredUserId(userId: string): boolean;
}
