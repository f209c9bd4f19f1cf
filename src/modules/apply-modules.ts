import type { GraphQLSchema } from 'graphql';
import { builder } from '../graphql/builder.js';
import type { GatewayContext } from '../graphql/context.js';
import { BadUserInputError } from '../graphql/errors.js';
import type { FieldCosts, FieldCost } from '../graphql/limits/estimate-statements.js';
import { shardBatchLoader } from '../graphql/loaders/shard-batch-loader.js';
import { sumOverShards } from '../graphql/pagination/sum-over-shards.js';
import { DateTime } from '../graphql/schema/date-time.js';
import { buildGatewaySchema, schemaIsBuilt } from '../graphql/schema/index.js';
import { ReadConsistencyEnum } from '../graphql/schema/read-consistency.js';
import { UserRef } from '../graphql/schema/user-ref.js';
import { ShardRef } from '../graphql/schema/shard.js';
import { MAX_IDS, validPageSize, validUserId } from '../graphql/validate-input.js';
import { gatherShardPages } from '../graphql/pagination/gather-shard-pages.js';
import { isShardMissing } from '../graphql/pagination/sum-over-shards.js';
import { PageInfo } from '../graphql/schema/page-info.js';
import { MODULE_CURSORS } from './module-cursors.js';
import { MODULE_USERS } from './module-users.js';
import { defineConnection, scatterConnection } from './module-connections.js';
import { DomainError, SqlError, UserNotFoundError } from '../repository/errors.js';
import type { Rows } from '../repository/database.js';
import type { ShardDoor } from '../repository/shard-door.js';
import { statement, type DbOperation, type Statement } from '../repository/statement.js';
import { readPolicyFor } from '../sharding/read-policy.js';
import { shardIdFor } from '../sharding/shard-id-for.js';
import { ModuleLoadError, type LoadedModule } from './load-modules.js';
import { scatterPage } from './scatter-page.js';
import { withBuiltins } from './builtin-modules.js';
import type {
  ModuleApi,
  ModuleBatch,
  ModuleDoor,
  ModuleLoader,
  ModuleStatement,
  ReadConsistency,
  RequestContext,
  StatementOptions,
} from './module-api.js';

/** The gateway's schema with the modules' types, and what their fields cost. */
export interface ModularSchema {
  readonly schema: GraphQLSchema;
  readonly fieldCosts: FieldCosts;
}

/** The root and `User` fields a module adds: undeclared ones get a default cost. */
type Added = { type: 'Query' | 'Mutation' | 'User'; field: string; module: string };

let applied: { names: string; result: ModularSchema } | null = null;

/**
 * Adds every module's types and fields to the gateway's schema builder (each
 * module's `schema` function called once, in order, with its ModuleApi),
 * then builds the schema. The builder is the process's: modules are applied
 * once per process, before the schema is first built. A module whose
 * schema function throws, or whose types or fields clash with another's or
 * the gateway's, is a ModuleLoadError naming it.
 */
export function applyModules(loaded: readonly LoadedModule[]): ModularSchema {
  // The built-in entities are modules on the same API, applied first, always.
  const modules = withBuiltins(loaded);
  const names = modules.map((m) => `${m.name}@${m.path}`).join(',');
  if (applied) {
    if (applied.names === names) return applied.result;
    throw new Error('modules are applied once per process, before the schema is built');
  }
  if (schemaIsBuilt()) throw new Error('the schema was built before the modules were applied');
  const added: Added[] = [];
  const declared = new Map<string, FieldCost>();
  const entities = new Map<string, FieldCost>();
  for (const module of modules) {
    if (!module.schema) continue;
    try {
      module.schema(moduleApi(module, added, declared, entities));
    } catch (err) {
      if (err instanceof ModuleLoadError) throw err;
      throw new ModuleLoadError(
        `module "${module.name}" (${module.path}): its schema function failed: ${(err as Error)?.message ?? String(err)}`,
      );
    }
  }
  let schema: GraphQLSchema;
  try {
    schema = buildGatewaySchema();
  } catch (err) {
    const message = (err as Error)?.message ?? String(err);
    // Pothos names the clash (`Duplicate field notes on User`): name the module that added it.
    const dup = /Duplicate field (\w+) on (\w+)/.exec(message);
    const culprit = dup ? added.filter((a) => a.field === dup[1] && a.type === dup[2]).at(-1) : undefined;
    const module = modules.find((m) => m.name === culprit?.module);
    if (module)
      throw new ModuleLoadError(`module "${module.name}" (${module.path}): field ${dup![2]}.${dup![1]} clashes with another definition`);
    throw new ModuleLoadError(`modules ${modules.map((m) => `"${m.name}"`).join(', ')}: the schema cannot be built: ${message}`);
  }
  const fieldCosts = { ...costsOf(added, declared), entities };
  applied = { names, result: { schema, fieldCosts } };
  return applied.result;
}

/** What applyModules built in this process, if it has run. */
export function appliedModules(): ModularSchema | null {
  return applied?.result ?? null;
}

/** Declared costs, and the defaults for the root and User fields that declared none. */
function costsOf(added: readonly Added[], declared: ReadonlyMap<string, FieldCost>): Omit<FieldCosts, 'entities'> {
  const query = new Map<string, FieldCost>();
  const mutation = new Map<string, FieldCost>();
  const nested = new Map<string, FieldCost>();
  for (const a of added) {
    if (declared.has(`${a.type}.${a.field}`)) continue;
    if (a.type === 'Query') query.set(a.field, { perShard: 1 });
    else if (a.type === 'Mutation') mutation.set(a.field, { fixed: 1 });
    else nested.set(a.field, { perShard: 1 });
  }
  for (const [key, cost] of declared) {
    const [type, field] = key.split('.') as [string, string];
    if (type === 'Query') query.set(field, cost);
    else if (type === 'Mutation') mutation.set(field, cost);
    else nested.set(field, maxCost(nested.get(field), cost));
  }
  return { query, mutation, nested };
}

/** Two fields of one name in different types: the estimate takes the larger (it counts by name). */
function maxCost(a: FieldCost | undefined, b: FieldCost): FieldCost {
  if (!a) return b;
  const unique = a.withUniqueEmails || b.withUniqueEmails ? maxCost(a.withUniqueEmails ?? a, b.withUniqueEmails ?? b) : undefined;
  const perSelectionOf = { ...a.perSelectionOf };
  for (const [name, cost] of Object.entries(b.perSelectionOf ?? {})) perSelectionOf[name] = maxCost(perSelectionOf[name], cost);
  return {
    perShard: Math.max(a.perShard ?? 0, b.perShard ?? 0),
    fixed: Math.max(a.fixed ?? 0, b.fixed ?? 0),
    ...(Object.keys(perSelectionOf).length > 0 ? { perSelectionOf } : {}),
    ...((a.lookup ?? b.lookup) ? { lookup: (a.lookup ?? b.lookup)! } : {}),
    ...(a.emailClaims || b.emailClaims ? { emailClaims: Math.max(a.emailClaims ?? 0, b.emailClaims ?? 0) } : {}),
    ...(unique ? { withUniqueEmails: unique } : {}),
  };
}

const STATEMENT_NAME = /^[a-z][a-z0-9_]{0,40}$/;
const COST_FIELD = /^[A-Za-z_]\w*\.[A-Za-z_]\w*$/;

/** A declared cost: counts 0 or more, sub-costs alike. */
function checkCost(who: string, field: string, cost: FieldCost, depth = 0): void {
  const valid = (n: unknown) => n === undefined || (typeof n === 'number' && Number.isFinite(n) && n >= 0);
  if (
    depth > 4 ||
    typeof cost !== 'object' ||
    cost === null ||
    !valid(cost.perShard) ||
    !valid(cost.fixed) ||
    !valid(cost.emailClaims) ||
    (cost.lookup !== undefined && (typeof cost.lookup !== 'object' || typeof cost.lookup?.batch !== 'string'))
  ) {
    throw new ModuleLoadError(
      `${who}: cost of ${field}: expected { perShard?, fixed?, emailClaims?: number (0 or more), lookup?: { batch: string, ids?: string }, perSelectionOf?, withUniqueEmails? }`,
    );
  }
  for (const sub of Object.values(cost.perSelectionOf ?? {})) checkCost(who, field, sub, depth + 1);
  if (cost.withUniqueEmails !== undefined) checkCost(who, field, cost.withUniqueEmails, depth + 1);
}

/** An error a module raises with its own stable code. */
class ModuleCodedError extends DomainError {
  override readonly name = 'ModuleCodedError';
  constructor(
    readonly code: DomainError['code'],
    message: string,
  ) {
    super(message);
  }
}

const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

function moduleApi(module: LoadedModule, added: Added[], declared: Map<string, FieldCost>, entities: Map<string, FieldCost>): ModuleApi {
  const statements = new Set<string>();
  const who = `module "${module.name}" (${module.path})`;
  const gateway = (ctx: RequestContext) => ctx as GatewayContext;
  const doorOf = (ctx: RequestContext): ShardDoor => {
    const door = gateway(ctx).door;
    if (!door) throw new Error(`${who}: this gateway has no door for modules`);
    return door;
  };
  const api: ModuleApi = Object.freeze({
    name: module.name,
    builder: recordingBuilder(module.name, added) as unknown as ModuleApi['builder'],
    User: UserRef as unknown as ModuleApi['User'],
    DateTime: DateTime as unknown as ModuleApi['DateTime'],
    ReadConsistency: ReadConsistencyEnum as unknown as ModuleApi['ReadConsistency'],
    statement(name: string, sql: string, options: StatementOptions = {}): ModuleStatement {
      if (typeof name !== 'string' || !STATEMENT_NAME.test(name)) {
        throw new ModuleLoadError(`${who}: statement name ${JSON.stringify(name)} must be lower case letters, digits and _`);
      }
      if (statements.has(name)) throw new ModuleLoadError(`${who}: statement ${name} is declared twice`);
      if (typeof sql !== 'string' || sql.trim().length === 0) throw new ModuleLoadError(`${who}: statement ${name} has no SQL`);
      statements.add(name);
      return statement(`mod_${module.name}_${name}`, operationOf(sql), sql, options.prepared ?? true, options.shownAs ?? sql);
    },
    shardIdOf: (ctx: RequestContext, userId: string) => gateway(ctx).manager.shardIdOf(userId),
    shardCount: (ctx: RequestContext) => gateway(ctx).manager.shardCount,
    db: (ctx: RequestContext): ModuleDoor => moduleDoor(doorOf(ctx)),
    batch<K, V>(ctx: RequestContext, name: string, batch: ModuleBatch<K, V>): ModuleLoader<K, V> {
      const g = gateway(ctx);
      const nested = batch.nested ?? true;
      return g.batches.get(`module:${module.name}:${name}`, () =>
        shardBatchLoader<K, V>(g.manager, {
          ownerOf: batch.ownerOf ?? ((key: K) => key as unknown as string),
          ...(batch.idOf ? { idOf: batch.idOf } : {}),
          load: async (shardId, keys) => {
            const found = await batch.load(shardId, keys);
            return found instanceof Map ? (found as ReadonlyMap<string, V>) : new Map(found as Iterable<readonly [string, V]>);
          },
          missing: batch.missing,
          ...(nested
            ? { schedule: (dispatch: () => void) => g.pending.whenIdle(dispatch) }
            : { track: <T>(work: Promise<T>) => g.pending.track(work) }),
        }),
      );
    },
    scatterPage: (ctx, query) => {
      const g = gateway(ctx);
      return g.pending.track(scatterPage(g.manager, query));
    },
    scatterWalk: (ctx, query) => {
      const g = gateway(ctx);
      const { manager } = g;
      // The route and the shard count of one moment: a gateway may adopt a new layout while the pages are read.
      const route = manager.routeAll();
      const shardCount = manager.shardCount;
      return g.pending.track(
        gatherShardPages({
          scatter: manager.scatter,
          route,
          shardCount,
          after: query.after,
          first: query.first,
          allowPartial: query.allowPartialResults,
          fetch: (shardId, after, limit) => query.fetch(shardId, after, limit),
          keyOf: (row) => query.keyOf(row),
          compare: (a, b) => query.compare(a, b),
          // Rows a shard does not own under the layout the pages were read with are a reshard's copies (or originals not yet cleaned up).
          owns: (row, shardId) => shardIdFor(query.ownerOf(row), shardCount) === shardId,
          canMiss: isShardMissing,
        }),
      );
    },
    scatterSum: async (ctx, count) => (await sumOverShards(gateway(ctx).manager, count, false)).total,
    scatterSumPartial: (ctx, count) => sumOverShards(gateway(ctx).manager, count, true),
    missingShard: (ctx, info, shardId, error) =>
      gateway(ctx).partial.missingShard(info as Parameters<GatewayContext['partial']['missingShard']>[0], shardId, error),
    cursors: MODULE_CURSORS,
    track: (ctx, work) => gateway(ctx).pending.track(work),
    consistencyOf: (ctx, parent): ReadConsistency => (gateway(ctx).strongReads.has(parent) ? 'STRONG' : 'EVENTUAL'),
    markStrong: (ctx, row) => void gateway(ctx).strongReads.add(row),
    loadUser: (ctx, userId, consistency = 'EVENTUAL') => MODULE_USERS.load(ctx, userId, consistency),
    PageInfo: PageInfo as unknown as ModuleApi['PageInfo'],
    cost(field: string, cost) {
      if (typeof field !== 'string' || !COST_FIELD.test(field)) {
        throw new ModuleLoadError(`${who}: cost(${JSON.stringify(field)}): name the field as Type.field, e.g. User.notes`);
      }
      checkCost(who, field, cost);
      declared.set(field, { ...cost });
    },
    entityCost(typename: string, cost) {
      if (typeof typename !== 'string' || !/^[A-Za-z_]\w*$/.test(typename)) {
        throw new ModuleLoadError(`${who}: entityCost(${JSON.stringify(typename)}): name the entity type, e.g. Note`);
      }
      checkCost(who, typename, cost);
      entities.set(typename, { ...cost });
    },
    validUserId: (field, value) => validUserId(field, value),
    validPageSize: (field, value) => validPageSize(field, value),
    maxIds: MAX_IDS,
    Shard: ShardRef as unknown as ModuleApi['Shard'],
    users: MODULE_USERS,
    connection: ((name, node, options) => defineConnection(api, name, node, options)) as ModuleApi['connection'],
    scatterConnection: (ctx, info, query) => scatterConnection(api, ctx, info, query),
    errors: Object.freeze({
      userNotFound: (userId: string) => new UserNotFoundError(userId),
      badUserInput: (field: string, message: string) => new BadUserInputError(field, message),
      isForeignKeyViolation: (err: unknown) => err instanceof SqlError && err.sqlState === '23503',
      isUniqueViolation: (err: unknown) => err instanceof SqlError && err.sqlState === '23505',
      withCode: (code: string, message: string) => {
        if (typeof code !== 'string' || !ERROR_CODE.test(code))
          throw new Error(`${who}: error code ${JSON.stringify(code)} must be upper case`);
        return new ModuleCodedError(code as DomainError['code'], String(message));
      },
    }),
  } satisfies ModuleApi);
  return api;
}

/** A module's statements are made by `statement` above: anything else is refused before it reaches the door. */
function asStatement(stmt: ModuleStatement): Statement {
  if (typeof stmt !== 'object' || stmt === null || typeof (stmt as Statement).operation !== 'string') {
    throw new Error('a module statement must come from api.statement(name, sql)');
  }
  return stmt as Statement;
}

/** The module API's door over a request's (or a tool's) ShardDoor. */
export function moduleDoor(door: ShardDoor): ModuleDoor {
  return {
    read: <R extends object>(
      shardId: number,
      stmt: ModuleStatement,
      params: readonly unknown[] = [],
      options: { consistency?: ReadConsistency; batchSize?: number } = {},
    ) =>
      door.read<R>(
        shardId,
        readPolicyFor(options.consistency ?? 'EVENTUAL'),
        asStatement(stmt),
        params,
        options.batchSize === undefined ? {} : { batchSize: options.batchSize },
      ),
    write: <R extends object>(userId: string, stmt: ModuleStatement, params: readonly unknown[] = []) =>
      door.writeFor(userId, async (shardId, write) => ({ ...(await write<R>(asStatement(stmt), params)), shardId })),
    transaction: (userId, work) =>
      door.transactionFor(userId, (tx, shardId) =>
        work(
          {
            execute: <R extends object>(stmt: ModuleStatement, params: readonly unknown[] = []): Promise<Rows<R>> =>
              tx.execute<R>(asStatement(stmt), params),
          },
          shardId,
        ),
      ),
  };
}

/**
 * The kind of statement, from its first keyword (spans and metrics report
 * it); a WITH that modifies data is the first INSERT, UPDATE or DELETE in it.
 */
export function operationOf(sql: string): DbOperation {
  const word = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase();
  switch (word) {
    case 'WITH': {
      const modifies = /\b(INSERT\s+INTO|UPDATE\s+[A-Za-z_][\w.]*\s+SET|DELETE\s+FROM)\b/i.exec(sql)?.[1];
      return modifies ? (modifies.split(/\s/)[0]!.toUpperCase() as DbOperation) : 'SELECT';
    }
    case 'SELECT':
    case 'VALUES':
      return 'SELECT';
    case 'INSERT':
    case 'UPDATE':
    case 'DELETE':
      return word;
    default:
      return 'DDL';
  }
}

/**
 * The builder as a module sees it: the gateway's own, recording which
 * fields the module adds to `Query`, `Mutation` and `User` (the fields that
 * get a default cost when the module declares none).
 */
function recordingBuilder(moduleName: string, added: Added[]): typeof builder {
  const record = (type: Added['type']) => (fields: Record<string, unknown>) => {
    for (const field of Object.keys(fields)) added.push({ type, field, module: moduleName });
    return fields;
  };
  const wrap =
    (type: Added['type']) =>
    <A extends unknown[], R extends Record<string, unknown>>(fn: (...args: A) => R) =>
    (...args: A) =>
      record(type)(fn(...args)) as R;
  const isUser = (ref: unknown) => ref === UserRef || ref === 'User';
  return new Proxy(builder, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      switch (prop) {
        case 'queryFields':
          return (fields: (...a: unknown[]) => Record<string, unknown>) => method.call(target, wrap('Query')(fields));
        case 'mutationFields':
          return (fields: (...a: unknown[]) => Record<string, unknown>) => method.call(target, wrap('Mutation')(fields));
        case 'queryField':
          return (name: string, field: unknown) => (record('Query')({ [name]: true }), method.call(target, name, field));
        case 'mutationField':
          return (name: string, field: unknown) => (record('Mutation')({ [name]: true }), method.call(target, name, field));
        case 'objectFields':
          return (ref: unknown, fields: (...a: unknown[]) => Record<string, unknown>) =>
            method.call(target, ref, isUser(ref) ? wrap('User')(fields) : fields);
        case 'objectField':
          return (ref: unknown, name: string, field: unknown) => {
            if (isUser(ref)) record('User')({ [name]: true });
            return method.call(target, ref, name, field);
          };
        default:
          return method.bind(target);
      }
    },
  });
}
