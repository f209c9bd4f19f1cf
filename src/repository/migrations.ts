import { Scatter } from '../sharding/scatter.js';
import { routeAll } from '../sharding/shard-route.js';
import { USERS_TABLE } from './colocated-tables.js';
import type { Database } from './database.js';
import { ORDERS_MIGRATION } from './orders-migration.js';
import { layoutGuardOn, RESHARD_OBJECTS } from './reshard-schema.js';
import { EMAIL_LOOKUP_SCHEMA, USER_EMAIL_CLAIMS_TABLE, USER_EMAILS_TABLE } from './email-statements.js';
import { statement, type Statement } from './statement.js';

/**
 * The schema, as an ordered list of versions. A version is applied once per
 * shard, in one transaction, on the primary only: replicas receive it
 * through WAL. Append new versions; never edit an applied one.
 */
const MIGRATIONS: readonly { version: number; description: string; statements: Statement[] }[] = [
  {
    version: 1,
    description: 'users table',
    statements: [
      statement(
        'm1_users',
        'DDL',
        `CREATE TABLE IF NOT EXISTS users (
           id          BIGSERIAL PRIMARY KEY,
           user_id     VARCHAR(255) NOT NULL,
           name        VARCHAR(255) NOT NULL,
           email       VARCHAR(255) NOT NULL,
           created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
         )`,
        false,
      ),
      statement('m1_ux_user_id', 'DDL', 'CREATE UNIQUE INDEX IF NOT EXISTS ux_users_user_id ON users (user_id)', false),
    ],
  },
  {
    version: 2,
    description: 'keyset index for ordered pages: (created_at, user_id in byte order)',
    statements: [
      statement(
        'm2_ix_created_at_user_id',
        'DDL',
        'CREATE INDEX IF NOT EXISTS ix_users_created_at_user_id ON users (created_at, user_id COLLATE "C")',
        false,
      ),
    ],
  },
  {
    version: 3,
    description: 'recorded layout, layout guard and change capture on users, reshard job',
    statements: [...RESHARD_OBJECTS, layoutGuardOn(USERS_TABLE)],
  },
  ORDERS_MIGRATION,
  {
    version: 5,
    description: 'email lookup: user_emails (sharded by the email), email claims beside the users, users.email_claim; their layout guards',
    // The lookup's rows belong to the shard of their email: its guard checks the email's hash, not a user's.
    statements: [...EMAIL_LOOKUP_SCHEMA, layoutGuardOn(USER_EMAILS_TABLE), layoutGuardOn(USER_EMAIL_CLAIMS_TABLE)],
  },
];

const CREATE_VERSIONS = statement(
  'migrations_table',
  'DDL',
  `CREATE TABLE IF NOT EXISTS shardgate_schema_versions (
     version     INT PRIMARY KEY,
     description TEXT NOT NULL,
     applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
   )`,
  false,
);
// Two `migrate` runs at once must not both apply a version.
const LOCK = statement('migrations_lock', 'SELECT', 'SELECT pg_advisory_xact_lock(7245400001)', false);
const APPLIED = statement('migrations_applied', 'SELECT', 'SELECT version FROM shardgate_schema_versions', false);
const RECORD = statement(
  'migrations_record',
  'INSERT',
  'INSERT INTO shardgate_schema_versions (version, description) VALUES ($1, $2)',
  false,
);

/** Brings one shard's primary to the latest version. Returns the versions it applied. */
export async function migrateShard(db: Database, shardId: number): Promise<number[]> {
  return db.transaction(shardId, async (tx) => {
    await tx.execute(LOCK, []);
    await tx.execute(CREATE_VERSIONS, []);
    const { rows } = await tx.execute<{ version: number }>(APPLIED, []);
    const applied = new Set(rows.map((r) => r.version));
    const done: number[] = [];
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      for (const stmt of migration.statements) await tx.execute(stmt, []);
      await tx.execute(RECORD, [migration.version, migration.description]);
      done.push(migration.version);
    }
    return done;
  });
}

/** Every shard, in parallel. Fails if any shard fails (after all have finished). */
export async function migrateAll(db: Database): Promise<{ shardId: number; applied: number[] }[]> {
  return new Scatter().all(routeAll(db.manager.shardCount), async (shardId) => ({ shardId, applied: await migrateShard(db, shardId) }));
}
