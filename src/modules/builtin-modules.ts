import type { Database } from '../repository/database.js';
import type { ColocatedTable } from '../repository/colocated-tables.js';
import { checkModule, ModuleLoadError, type LoadedModule } from './load-modules.js';
import { migrateModulesOnShard } from './module-migrations.js';
import orders from './orders/index.js';
import users from './users/index.js';

/**
 * The gateway's own entities, modules on the public API like any other,
 * applied before the modules a command loads, whose names, types and tables
 * may not clash with them. Users come first: `User` is theirs, for every
 * other module to extend.
 */
export const BUILTIN_MODULES: readonly LoadedModule[] = [checkModule('shardgate:users', users), checkModule('shardgate:orders', orders)];

/** The built-in modules, then `loaded`; a loaded module that takes a built-in one's name or table is a ModuleLoadError. */
export function withBuiltins(loaded: readonly LoadedModule[]): LoadedModule[] {
  for (const module of loaded) {
    const builtin = BUILTIN_MODULES.find((b) => b.name === module.name);
    if (builtin) throw new ModuleLoadError(`module "${module.name}" (${module.path}): the name is taken by a built-in module`);
    const table = module.tables.find((t) => BUILTIN_MODULES.some((b) => b.tables.some((bt) => bt.table === t.table)));
    if (table) throw new ModuleLoadError(`module "${module.name}" (${module.path}): table ${table.table} is the gateway's own`);
  }
  return [...BUILTIN_MODULES, ...loaded];
}

/**
 * What `shardgate reshard` (or a test, or a bench, calling runReshard)
 * passes as its modules: every co-located table of the built-in modules and
 * of `loaded`, and their migrations for the new shards.
 */
export function reshardModules(loaded: readonly LoadedModule[] = []): {
  tables: ColocatedTable[];
  migrate: (db: Database, shardId: number) => Promise<string[]>;
} {
  const modules = withBuiltins(loaded);
  return {
    tables: modules.flatMap((m) => m.tables),
    migrate: (db, shardId) => migrateModulesOnShard(db, shardId, modules),
  };
}
