import { ConfigError } from '../config/config-error.js';
import { ShardUnavailableError } from '../repository/errors.js';
import { processIo, UsageError, type CliIo } from './cli-io.js';
import { runClusterCommand } from './cluster-command.js';
import { runDevCommand } from './dev-command.js';
import { runMigrateCommand } from './migrate-command.js';
import { runReshardCommand } from './reshard-command.js';
import { runSeedCommand } from './seed-command.js';
import { runServeCommand } from './serve-command.js';

export const MAIN_HELP = `Usage: shardgate <command> [options]

A GraphQL gateway over PostgreSQL sharded by user id.

Commands:
  cluster up|down|status|failover
                           a local development cluster (real PostgreSQL, streaming replication,
                           optionally synchronous or run by Patroni)
  migrate --config F       create or upgrade the schema on every shard primary
  seed --config F          insert demo users (idempotent)
  serve --config F         run the gateway (GraphQL, GraphiQL, /healthz, /readyz, /metrics)
  reshard --from OLD --to NEW [--dry-run]
                           move users to a new shard count while gateways serve
  dev                      what \`npm start\` runs: cluster + migrate + seed + serve

Run \`shardgate <command> --help\` for a command's options.`;

const COMMANDS: Record<string, (argv: string[], io: CliIo) => Promise<number>> = {
  cluster: (argv, io) => runClusterCommand(argv, io),
  migrate: runMigrateCommand,
  seed: runSeedCommand,
  serve: runServeCommand,
  reshard: runReshardCommand,
  dev: runDevCommand,
};

/** Runs the CLI; returns the exit code. Expected failures print one line, never a stack trace. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.out(MAIN_HELP);
    return command === undefined ? 2 : 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    io.err(`shardgate: unknown command ${JSON.stringify(command)}\n\n${MAIN_HELP}`);
    return 2;
  }
  try {
    return await run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`error: ${err.message}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.err(`error: invalid configuration:\n  ${err.problems.join('\n  ')}`);
      return 2;
    }
    if (err instanceof ShardUnavailableError) {
      io.err(`error: shard ${err.shardId} is unavailable: ${err.detail}`);
      return 1;
    }
    io.err(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
