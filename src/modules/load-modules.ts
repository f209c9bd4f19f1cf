import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ModuleMigration, ModuleTable, ShardgateModule } from './module-api.js';

/** A module that cannot be used: the message names the module (its name, else its path) and the cause. */
export class ModuleLoadError extends Error {
  override readonly name = 'ModuleLoadError';
}

/** A module file, loaded and checked. */
export interface LoadedModule {
  readonly name: string;
  /** The file, as given. */
  readonly path: string;
  readonly migrations: readonly { readonly id: string; readonly sql: readonly string[] }[];
  readonly tables: readonly ModuleTable[];
  readonly schema: ShardgateModule['schema'] | undefined;
}

const NAME = /^[a-z][a-z0-9_]{0,39}$/;
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Tables of the gateway itself: no module may declare them (the built-in modules' tables are refused by withBuiltins). */
const GATEWAY_TABLES = new Set(['users', 'user_emails', 'user_email_claims']);

/**
 * The module paths a command was given: every `--module PATH`, else the
 * comma-separated SHARDGATE_MODULES. Empty entries are ignored.
 */
export function modulePaths(flags: readonly string[] | undefined, env: string | undefined): string[] {
  if (flags && flags.length > 0) return [...flags];
  return (env ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

/**
 * Imports each module file (relative paths from the working directory) and
 * checks what it exports: a name, migrations, tables, a schema function;
 * no two modules with one name or one table. The first problem is a
 * ModuleLoadError naming the module and the cause.
 */
export async function loadModules(paths: readonly string[]): Promise<LoadedModule[]> {
  const loaded: LoadedModule[] = [];
  for (const path of paths) {
    let exported: unknown;
    try {
      exported = await import(pathToFileURL(resolve(path)).href);
    } catch (err) {
      throw new ModuleLoadError(`module ${path}: cannot be loaded: ${(err as Error)?.message ?? String(err)}`);
    }
    const module = checkModule(path, (exported as { default?: unknown }).default);
    for (const other of loaded) {
      if (other.name === module.name) {
        throw new ModuleLoadError(`module "${module.name}" (${path}): the name is taken by ${other.path}`);
      }
      const clash = module.tables.find((t) => other.tables.some((o) => o.table === t.table));
      if (clash) {
        throw new ModuleLoadError(`module "${module.name}" (${path}): table ${clash.table} is declared by module "${other.name}" too`);
      }
    }
    loaded.push(module);
  }
  return loaded;
}

/** Checks one module's default export. Pure apart from the path it names. */
export function checkModule(path: string, value: unknown): LoadedModule {
  const fail = (who: string, cause: string): never => {
    throw new ModuleLoadError(`module ${who}: ${cause}`);
  };
  if (value === undefined) fail(path, 'no default export (a module file ends with `export default { name, ... }`)');
  if (typeof value !== 'object' || value === null) fail(path, 'the default export is not an object');
  const m = value as Record<string, unknown>;
  if (typeof m.name !== 'string' || m.name.length === 0) fail(path, 'no name (the default export needs `name: "..."`)');
  const name = m.name as string;
  const who = `"${name}" (${path})`;
  if (!NAME.test(name)) fail(who, 'the name must be lower case letters, digits and _, starting with a letter, at most 40 characters');

  const migrations: { id: string; sql: string[] }[] = [];
  if (m.migrations !== undefined) {
    if (!Array.isArray(m.migrations)) fail(who, '`migrations` must be an array of { id, sql }');
    for (const [i, raw] of (m.migrations as unknown[]).entries()) {
      const mig = raw as Partial<ModuleMigration> | null;
      if (typeof mig?.id !== 'string' || mig.id.length === 0 || mig.id.length > 200) fail(who, `migrations[${i}] needs an id (a string)`);
      const id = mig!.id!;
      if (migrations.some((x) => x.id === id)) fail(who, `migration id ${JSON.stringify(id)} appears twice`);
      const sql = typeof mig!.sql === 'string' ? [mig!.sql] : mig!.sql;
      if (!Array.isArray(sql) || sql.length === 0 || sql.some((s) => typeof s !== 'string' || s.trim().length === 0)) {
        fail(who, `migration ${JSON.stringify(id)} needs sql: a statement or a list of statements`);
      }
      migrations.push({ id, sql: [...(sql as string[])] });
    }
  }

  const tables: ModuleTable[] = [];
  if (m.tables !== undefined) {
    if (!Array.isArray(m.tables)) fail(who, '`tables` must be an array of { table, ownerColumn }');
    for (const [i, raw] of (m.tables as unknown[]).entries()) {
      const t = raw as Partial<ModuleTable> | null;
      if (typeof t?.table !== 'string' || !IDENTIFIER.test(t.table)) {
        fail(who, `tables[${i}].table must be a lower case unquoted table name`);
      }
      if (typeof t!.ownerColumn !== 'string' || !IDENTIFIER.test(t!.ownerColumn)) {
        fail(who, `tables[${i}].ownerColumn must be a lower case unquoted column name`);
      }
      const table = t!.table!;
      if (GATEWAY_TABLES.has(table) || table.startsWith('shardgate_')) fail(who, `table ${table} is the gateway's own`);
      if (tables.some((x) => x.table === table)) fail(who, `table ${table} is declared twice`);
      tables.push({ table, ownerColumn: t!.ownerColumn! });
    }
  }

  if (m.schema !== undefined && typeof m.schema !== 'function') fail(who, '`schema` must be a function (api) => void');
  return Object.freeze({
    name,
    path,
    migrations,
    tables,
    schema: m.schema as ShardgateModule['schema'] | undefined,
  });
}
