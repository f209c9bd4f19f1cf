import { loadGatewayOptions, withoutFailoverBuffer } from '../config/gateway-options.js';
import { loadTopologyFile } from '../config/load-topology.js';
import { EMAIL_MARKER_RETENTION_MS, pruneEmailClaims } from '../repository/email-claim-pruning.js';
import { backfillEmails, enforceUniqueEmails, findDuplicateEmails, uniqueEmailsEnforced } from '../repository/email-backfill.js';
import { migrateAll } from '../repository/migrations.js';
import { formatProgress } from '../reshard/format-progress.js';
import { openShards } from '../repository/open-shards.js';
import { loadCommandEnv } from '../config/command-env.js';
import { applyModules } from '../modules/apply-modules.js';
import { loadModules, modulePaths } from '../modules/load-modules.js';
import { migrateModules } from '../modules/module-migrations.js';
import type { CliIo } from './cli-io.js';
import { configPath, intFlag, parseFlags } from './parse-flags.js';

export const MIGRATE_HELP = `Usage: shardgate migrate --config F [--batch-size 1000] [--module PATH ...]

Create or upgrade the schema on every shard's primary (replicas receive it
through replication), then fill the email lookup (user_emails) from the
users every shard holds, in batches, printing progress. Each shard records
how far it got: after a crash or Ctrl-C, running it again continues there.
It also deletes email claim markers (user_email_claims) older than 7 days:
they decide nothing any more (gateways prune them hourly too).
Idempotent: running it again changes nothing more.

With SHARDGATE_UNIQUE_EMAILS=true it then makes emails unique (compared
case-insensitively, across all shards), unless some email is held by more
than one user: it lists them (email and user ids) and exits with status 1,
changing nothing about uniqueness.

Each module's migrations (--module) are applied after the gateway's, on
every primary, once, recorded under the module's name (see docs/modules.md).

Options:
  --config F        topology file (default: $SHARDGATE_CONFIG)
  --module PATH     a module whose migrations to apply (repeatable; default:
                    $SHARDGATE_MODULES, comma-separated)
  --batch-size N    users per backfill statement (default 1000)
  -h, --help        show this help`;

const SHOWN_DUPLICATES = 50;
const PROGRESS_EVERY_MS = 1000;

export async function runMigrateCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(
    argv,
    { config: { type: 'string' }, 'batch-size': { type: 'string' }, module: { type: 'string', multiple: true } },
    'migrate',
  );
  if (values.help) {
    io.out(MIGRATE_HELP);
    return 0;
  }
  const batchSize = intFlag(values['batch-size'] as string | undefined, 'batch-size', 1000, 1, 100_000);
  const env = loadCommandEnv();
  const topology = loadTopologyFile(configPath(values.config as string | undefined, 'migrate', env));
  const options = withoutFailoverBuffer(loadGatewayOptions());
  // Every module loads and builds into the schema before anything is applied: a broken one changes nothing.
  const modules = await loadModules(modulePaths(values.module as string[] | undefined, env.modules));
  applyModules(modules);
  const shards = openShards(topology, options);
  try {
    const results = await migrateAll(shards.db);
    for (const { shardId, applied } of results) {
      io.out(`shard ${shardId}: ${applied.length === 0 ? 'up to date' : `applied version(s) ${applied.join(', ')}`}`);
    }
    if (modules.length > 0) {
      for (const { shardId, applied } of await migrateModules(shards.db, modules)) {
        io.out(`shard ${shardId}: modules ${applied.length === 0 ? 'up to date' : `applied ${applied.join(', ')}`}`);
      }
    }

    const started = Date.now();
    const printed = new Map<number, number>();
    const added = await backfillEmails(shards.db, batchSize, (p) => {
      if (p.alreadyDone) return io.out(`email lookup: shard ${p.shardId}: backfilled in an earlier run`);
      const now = Date.now();
      if (p.done < p.total && now - (printed.get(p.shardId) ?? 0) < PROGRESS_EVERY_MS) return;
      printed.set(p.shardId, now);
      io.out(formatProgress(`email lookup: shard ${p.shardId}`, p.done, p.total, started, now));
    });
    io.out(`email lookup: ${added} row(s) added`);
    // Markers older than the retention can no longer decide anything (see EMAIL_MARKER_RETENTION_MS); gateways prune too, hourly.
    const { pruned, failed } = await pruneEmailClaims(shards.db);
    io.out(`email claim markers: ${pruned} older than ${EMAIL_MARKER_RETENTION_MS / 86_400_000} days pruned`);
    for (const f of failed)
      io.err(`email claim markers: shard ${f.shardId} not pruned: ${f.error instanceof Error ? f.error.message : String(f.error)}`);

    if (!options.emails.unique) {
      if (await uniqueEmailsEnforced(shards.db)) io.out('unique emails: enforced (the index was created by an earlier run)');
      return 0;
    }
    const duplicates = await findDuplicateEmails(shards.db, shards.users.emails);
    if (duplicates.length > 0) {
      io.err(`unique emails: NOT turned on: ${duplicates.length} email(s) are held by more than one user:`);
      for (const d of duplicates.slice(0, SHOWN_DUPLICATES)) io.err(`  ${d.email}: ${d.userIds.join(', ')}`);
      if (duplicates.length > SHOWN_DUPLICATES) io.err(`  ... and ${duplicates.length - SHOWN_DUPLICATES} more`);
      io.err("change those users' emails (updateUser) or delete them, then run migrate again");
      return 1;
    }
    const { created, refused } = await enforceUniqueEmails(shards.db);
    if (refused.length > 0) {
      io.err(`unique emails: a duplicate appeared meanwhile on lookup shard(s) ${refused.join(', ')}; run migrate again`);
      return 1;
    }
    io.out(created.length > 0 ? `unique emails: turned on (lookup shards ${created.join(', ')})` : 'unique emails: already on');
    return 0;
  } finally {
    await shards.users.emails.settled();
    await shards.close();
  }
}
