import type { Database, Transaction } from '../repository/database.js';
import { SqlError } from '../repository/errors.js';
import { layoutGuardOn } from '../repository/reshard-schema.js';
import { statement } from '../repository/statement.js';
import { ReadPolicy } from '../sharding/read-policy.js';
import { Scatter } from '../sharding/scatter.js';
import { routeAll } from '../sharding/shard-route.js';
import { ModuleLoadError, type LoadedModule } from './load-modules.js';

const CREATE_RECORD = statement(
  'module_migrations_table',
  'DDL',
  `CREATE TABLE IF NOT EXISTS shardgate_module_migrations (
     module      TEXT NOT NULL,
     id          TEXT NOT NULL,
     applied_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
     PRIMARY KEY (module, id)
   )`,
  false,
);
// Two `migrate` runs at once must not both apply a migration.
const LOCK = statement('module_migrations_lock', 'SELECT', 'SELECT pg_advisory_xact_lock(7245400002)', false);
const APPLIED = statement('module_migrations_applied', 'SELECT', 'SELECT module, id FROM shardgate_module_migrations', false);
const RECORD = statement(
  'module_migrations_record',
  'INSERT',
  'INSERT INTO shardgate_module_migrations (module, id) VALUES ($1, $2)',
  false,
);
const COLUMN_EXISTS = statement(
  'module_table_column',
  'SELECT',
  `SELECT EXISTS (SELECT 1 FROM information_schema.columns
                  WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2) AS found`,
  false,
);

/**
 * Brings one shard's primary up to every module's latest migration, in ONE
 * transaction: the modules in the order given, each one's migrations in
 * order, each recorded under (module, id); then every declared table is
 * checked (it exists, with its owner column) and gets the layout guard.
 * Any failure rolls the whole shard back and is a ModuleLoadError naming
 * the module, the migration and PostgreSQL's reason. Returns what it applied
 * (`module/id`).
 */
export async function migrateModulesOnShard(db: Database, shardId: number, modules: readonly LoadedModule[]): Promise<string[]> {
  if (modules.length === 0) return [];
  return db.transaction(shardId, async (tx) => {
    await tx.execute(LOCK, []);
    await tx.execute(CREATE_RECORD, []);
    const { rows } = await tx.execute<{ module: string; id: string }>(APPLIED, []);
    const applied = new Set(rows.map((r) => `${r.module}/${r.id}`));
    const done: string[] = [];
    for (const module of modules) {
      for (const [i, migration] of module.migrations.entries()) {
        const key = `${module.name}/${migration.id}`;
        if (applied.has(key)) continue;
        for (const [j, sql] of migration.sql.entries()) {
          const stmt = statement(`module_${module.name}_m${i}_${j}`, 'DDL', sql, false);
          await run(
            tx,
            stmt,
            `module "${module.name}" (${module.path}): migration ${JSON.stringify(migration.id)} failed on shard ${shardId}`,
          );
        }
        await tx.execute(RECORD, [module.name, migration.id]);
        done.push(key);
      }
      for (const table of module.tables) {
        const { rows: found } = await tx.execute<{ found: boolean }>(COLUMN_EXISTS, [table.table, table.ownerColumn]);
        if (!found[0]?.found) {
          throw new ModuleLoadError(
            `module "${module.name}" (${module.path}): table ${table.table} with owner column ${table.ownerColumn} does not exist on shard ${shardId} after its migrations`,
          );
        }
        await run(
          tx,
          layoutGuardOn(table),
          `module "${module.name}" (${module.path}): the layout guard on ${table.table} failed on shard ${shardId}`,
        );
      }
    }
    return done;
  });
}

/** Every shard's primary, in parallel; fails (after all have finished) with the first failure. */
export async function migrateModules(db: Database, modules: readonly LoadedModule[]): Promise<{ shardId: number; applied: string[] }[]> {
  return new Scatter().all(routeAll(db.manager.shardCount), async (shardId) => ({
    shardId,
    applied: await migrateModulesOnShard(db, shardId, modules),
  }));
}

async function run(tx: Transaction, stmt: ReturnType<typeof statement>, context: string): Promise<void> {
  try {
    await tx.execute(stmt, []);
  } catch (err) {
    throw new ModuleLoadError(`${context}: ${reasonOf(err)}`);
  }
}

/** PostgreSQL's own words when there are some (the door keeps the server's error as the cause). */
function reasonOf(err: unknown): string {
  if (err instanceof SqlError) {
    const cause = (err as { cause?: unknown }).cause;
    const text = cause instanceof Error ? cause.message : err.message;
    return `${text} (SQLSTATE ${err.sqlState})`;
  }
  return err instanceof Error ? err.message : String(err);
}

const RECORDED = statement(
  'module_migrations_recorded',
  'SELECT',
  `SELECT module, id FROM shardgate_module_migrations WHERE to_regclass('shardgate_module_migrations') IS NOT NULL`,
  false,
);
const RECORD_TABLE_EXISTS = statement(
  'module_migrations_exists',
  'SELECT',
  "SELECT to_regclass('shardgate_module_migrations') IS NOT NULL AS found",
  false,
);

/**
 * The modules' migrations not recorded on some shard's primary, as
 * ModuleLoadErrors' messages (empty: all applied). A shard that cannot be
 * asked now is left out: the gateway starts and serves what it can.
 */
export async function unappliedModuleMigrations(db: Database, modules: readonly LoadedModule[]): Promise<string[]> {
  if (modules.every((m) => m.migrations.length === 0)) return [];
  const results = await new Scatter().settled(routeAll(db.manager.shardCount), async (shardId) => {
    const exists = (await db.read<{ found: boolean }>(shardId, ReadPolicy.PrimaryOnly, RECORD_TABLE_EXISTS, [])).rows[0]?.found;
    if (!exists) return new Set<string>();
    const { rows } = await db.read<{ module: string; id: string }>(shardId, ReadPolicy.PrimaryOnly, RECORDED, []);
    return new Set(rows.map((r) => `${r.module}/${r.id}`));
  });
  const problems: string[] = [];
  for (const result of results) {
    if (!result.ok) continue;
    for (const module of modules) {
      const missing = module.migrations.filter((m) => !result.value.has(`${module.name}/${m.id}`)).map((m) => m.id);
      if (missing.length > 0) {
        problems.push(
          `module "${module.name}" (${module.path}): migration(s) ${missing.join(', ')} not applied on shard ${result.shardId}; run shardgate migrate --module ${module.path}`,
        );
      }
    }
  }
  return problems;
}
