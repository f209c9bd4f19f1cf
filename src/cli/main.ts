import { ConfigError } from '../config/config-error.js';
import { ShardUnavailableError } from '../repository/errors.js';
import { processIo, UsageError, type CliIo } from './cli-io.js';

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

// Each command is loaded when it runs: the gateway's dependency graph (GraphQL,
// pg, OpenTelemetry) costs seconds of start-up on a busy machine, which
// `--help` and a mistyped command should not pay.
const COMMANDS: Record<string, (argv: string[], io: CliIo) => Promise<number>> = {
  cluster: async (argv, io) => (await import('./cluster-command.js')).runClusterCommand(argv, io),
  migrate: async (argv, io) => (await import('./migrate-command.js')).runMigrateCommand(argv, io),
  seed: async (argv, io) => (await import('./seed-command.js')).runSeedCommand(argv, io),
  serve: async (argv, io) => (await import('./serve-command.js')).runServeCommand(argv, io),
  reshard: async (argv, io) => (await import('./reshard-command.js')).runReshardCommand(argv, io),
  dev: async (argv, io) => (await import('./dev-command.js')).runDevCommand(argv, io),
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
