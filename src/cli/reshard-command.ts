import { loadGatewayOptions, type GatewayOptions } from '../config/gateway-options.js';
import { loadTopologyFile } from '../config/load-topology.js';
import { readTopologyDocument, recordableTopology } from '../config/recorded-topology.js';
import { ReshardError } from '../reshard/reshard-error.js';
import { runReshard } from '../reshard/run-reshard.js';
import { loadCommandEnv } from '../config/command-env.js';
import { applyModules } from '../modules/apply-modules.js';
import { reshardModules } from '../modules/builtin-modules.js';
import { loadModules, modulePaths } from '../modules/load-modules.js';
import { UsageError, type CliIo } from './cli-io.js';
import { intFlag, parseFlags } from './parse-flags.js';

export const RESHARD_HELP = `Usage: shardgate reshard --from OLD --to NEW [--dry-run] [--module PATH ...]

Move every user to shard fnv1a32(userId) % M of the NEW topology file (M
shards) from the OLD one (N shards), while gateways keep serving. A shard of
NEW may be an OLD shard's database (same primary host:port and dbname: its
staying users stay) or a new cluster.

Steps, each printed with progress and recorded when done, so that running
the same command again after a crash or Ctrl-C finishes the job:
  plan       how many users move from which shard to which (--dry-run stops here)
  prepare    schema on NEW's primaries, layout guard, change capture on OLD
  copy       moving users copied in batches while gateways serve
  catch-up   writes made meanwhile applied until few remain
  cutover    writes to OLD paused (gateways hold and retry them), last changes
             applied, every NEW shard verified (row count and checksum against
             OLD); a mismatch aborts and OLD serves as before. Then the new
             layout is recorded on every primary and gateways adopt it.
  cleanup    users deleted from the shards they left, in batches

Options:
  --from OLD              the topology file the gateways use now
  --to NEW                the topology file to move to
  --dry-run               print the plan, change nothing
  --module PATH           a module whose tables move with their owners (repeatable;
                          default: $SHARDGATE_MODULES, comma-separated): load
                          every module the gateways serve
  --batch-size N          users per statement (default 1000)
  --cleanup-delay-ms N    wait between the switch and the cleanup (default 5000)
  --progress-ms N         at most one progress line per step this often (default 1000)
  -h, --help              show this help

Exit codes: 0 done (or planned), 1 failed or aborted (run again to resume), 2 usage.`;

export async function runReshardCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      from: { type: 'string' },
      to: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'batch-size': { type: 'string' },
      'cleanup-delay-ms': { type: 'string' },
      'progress-ms': { type: 'string' },
      module: { type: 'string', multiple: true },
    },
    'reshard',
  );
  if (values.help) {
    io.out(RESHARD_HELP);
    return 0;
  }
  const fromPath = values.from as string | undefined;
  const toPath = values.to as string | undefined;
  if (!fromPath || !toPath) throw new UsageError('reshard: --from OLD and --to NEW are required (see `shardgate reshard --help`)');
  const batchSize = intFlag(values['batch-size'] as string | undefined, 'batch-size', 1000, 1, 100_000);
  const cleanupDelayMs = intFlag(values['cleanup-delay-ms'] as string | undefined, 'cleanup-delay-ms', 5000, 0, 3_600_000);
  const progressIntervalMs = intFlag(values['progress-ms'] as string | undefined, 'progress-ms', 1000, 0, 3_600_000);
  const from = loadTopologyFile(fromPath);
  const to = loadTopologyFile(toPath);
  const recordedTo = recordableTopology(readTopologyDocument(toPath));
  // Checked before anything runs: a module that cannot load stops the command.
  const modules = await loadModules(modulePaths(values.module as string[] | undefined, loadCommandEnv().modules));
  applyModules(modules);
  try {
    await runReshard({
      from,
      to,
      recordedTo,
      dryRun: values['dry-run'] === true,
      gatewayOptions: toolOptions(loadGatewayOptions()),
      log: (line) => io.out(line),
      batchSize,
      cleanupDelayMs,
      progressIntervalMs,
      // The built-in modules' tables (orders) always, and the loaded ones'.
      modules: reshardModules(modules),
    });
    return 0;
  } catch (err) {
    if (err instanceof ReshardError) {
      io.err(`error: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

/** The tool's connections: few, and patient (a verification reads every user). */
export function toolOptions(base: GatewayOptions): GatewayOptions {
  return {
    ...base,
    pool: { ...base.pool, max: 4, connectTimeoutMs: Math.max(base.pool.connectTimeoutMs, 5000), statementTimeoutMs: 600_000 },
  };
}
