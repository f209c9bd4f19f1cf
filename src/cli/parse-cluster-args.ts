import type { HaMode } from '../cluster/cluster-layout.js';
import { UsageError } from './cli-io.js';
import { parseFlags } from './parse-flags.js';

/** What `shardgate cluster ...` was asked to do; a usage problem is a value, not an exception. */
export type ClusterCommand =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'usage-error'; readonly message: string }
  | {
      readonly kind: 'up';
      readonly dir: string;
      /** undefined when not given: the existing cluster's value, else the default. */
      readonly shards: number | undefined;
      readonly replicas: number | undefined;
      readonly basePort: number | undefined;
      readonly noFsync: boolean;
      readonly synchronous: boolean;
      /** undefined when not given: the existing cluster's mode, else none. */
      readonly ha: HaMode | undefined;
    }
  | { readonly kind: 'failover'; readonly dir: string; readonly shard: number }
  | { readonly kind: 'down'; readonly dir: string }
  | { readonly kind: 'status'; readonly dir: string };

export const DEFAULT_SHARDS = 3;
export const DEFAULT_REPLICAS = 1;
export const DEFAULT_BASE_PORT = 54320;

export const CLUSTER_HELP = `Usage: shardgate cluster <command> --dir D [options]

A local development cluster: PostgreSQL shards on 127.0.0.1, each a primary
with streaming replicas, for the gateway to run against.

Commands:
  up        create the cluster in D, or start what is stopped; write D/topology.json
  down      stop every node of the cluster in D
  status    one line per node: shard, observed role, port, up/down, timeline, replication lag
  failover  switch a shard over: its first replica becomes the primary, the old primary its replica

Run \`shardgate cluster <command> --help\` for the options of a command.`;

const UP_HELP = `Usage: shardgate cluster up --dir D [--shards ${DEFAULT_SHARDS}] [--replicas ${DEFAULT_REPLICAS}] [--base-port ${DEFAULT_BASE_PORT}]
                          [--synchronous] [--ha none|patroni] [--no-fsync]

Create a local cluster in D: initdb each shard's primary, clone its replicas
with pg_basebackup (physical streaming replication), start every node, wait
until every replica streams, create the database "shardgate" on every
primary, and write the topology file D/topology.json. On an existing D, start
whatever is stopped, each node in the role the last switchover left it in;
the layout stays the one D was created with.

Options:
  --dir D          cluster directory (required)
  --shards N       number of shards (default ${DEFAULT_SHARDS})
  --replicas N     streaming replicas per shard (default ${DEFAULT_REPLICAS})
  --base-port P    port of shard 0's primary (default ${DEFAULT_BASE_PORT}); shard i's
                   primary listens on P + i*(replicas+1), its replicas on the next ports
  --synchronous    synchronous streaming replication: a commit is acknowledged only
                   once a replica of its shard has it, so a failover loses nothing
                   (needs --replicas 1 or more; may be turned on for an existing D)
  --ha MODE        who runs the nodes: none (default; pg_ctl) or patroni (Patroni
                   with one local etcd, failing over by itself in about 10 s).
                   Patroni's REST API ports follow the PostgreSQL ports, one per
                   node in the same order (P + shards*(replicas+1) + k), then
                   etcd's client and peer ports. Chosen when D is created.
  --no-fsync       do not fsync: much faster, but a machine crash may corrupt
                   the data (for throw-away clusters)
  -h, --help       show this help`;

const DOWN_HELP = `Usage: shardgate cluster down --dir D

Stop every node of the cluster in D (pg_ctl stop -m fast), leaving no
PostgreSQL process of it behind; with --ha patroni, record each shard's
leader, stop the Patronis (which stop their PostgreSQL) and etcd. The data
stays in D; \`cluster up\` starts it again, every node in its current role.

Options:
  --dir D          cluster directory (required)
  -h, --help       show this help`;

const STATUS_HELP = `Usage: shardgate cluster status --dir D

One line per node of the cluster in D: shard, role, port, up or down,
timeline, the postmaster's pid, and for replicas the replication lag
(seconds and bytes). ROLE and TL are what each server says about itself
(pg_is_in_recovery(), its timeline), not what the layout expects; NOTE says
where they differ (or what a stopped node is expected to be). With
--ha patroni, a PATRONI column shows Patroni's view of each member.

Options:
  --dir D          cluster directory (required)
  -h, --help       show this help`;

const FAILOVER_HELP = `Usage: shardgate cluster failover --dir D --shard S

An operator's switchover of shard S: its first replica becomes the primary
and the old primary its replica, with no acknowledged write lost.

Without Patroni: the old primary is stopped cleanly, the replica is promoted
(pg_ctl promote) once it has received all of the old primary's WAL, the old
primary is rewound with pg_rewind and restarted as a standby of the new one,
and with --synchronous the new primary requires the rejoined standby for
its commits. With --ha patroni: \`patronictl switchover\`. Either way D's
layout (cluster.json, topology.json) records the new roles, so \`down\` and
\`up\` keep them. Prints what happened and how long writes were refused.

Options:
  --dir D          cluster directory (required)
  --shard S        the shard to switch over (required)
  -h, --help       show this help`;

const HELP = { up: UP_HELP, down: DOWN_HELP, status: STATUS_HELP, failover: FAILOVER_HELP } as const;

/** Parse the arguments after `shardgate cluster`. Unknown flags, stray arguments and bad numbers are usage errors. */
export function parseClusterArgs(argv: readonly string[]): ClusterCommand {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') return { kind: 'help', text: CLUSTER_HELP };
  if (sub !== 'up' && sub !== 'down' && sub !== 'status' && sub !== 'failover') {
    return {
      kind: 'usage-error',
      message: `cluster: unknown command "${sub}"; expected up, down, status or failover (see \`shardgate cluster --help\`)`,
    };
  }
  const fail = (message: string): ClusterCommand => ({
    kind: 'usage-error',
    message: `cluster ${sub}: ${message} (see \`shardgate cluster ${sub} --help\`)`,
  });
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseFlags(
      rest,
      {
        dir: { type: 'string' },
        ...(sub === 'up'
          ? {
              shards: { type: 'string' },
              replicas: { type: 'string' },
              'base-port': { type: 'string' },
              'no-fsync': { type: 'boolean' },
              synchronous: { type: 'boolean' },
              ha: { type: 'string' },
            }
          : {}),
        ...(sub === 'failover' ? { shard: { type: 'string' } } : {}),
      },
      `cluster ${sub}`,
    ));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return { kind: 'usage-error', message: err.message };
  }
  if (values['help'] === true) return { kind: 'help', text: HELP[sub] };
  const dir = values['dir'];
  if (typeof dir !== 'string' || dir === '') return fail('--dir D is required');
  if (sub === 'failover') {
    const shard = values['shard'];
    if (shard === undefined) return fail('--shard S is required');
    if (typeof shard !== 'string' || !/^\d{1,3}$/.test(shard)) return fail(`--shard expects a shard number, got "${String(shard)}"`);
    return { kind: 'failover', dir, shard: Number(shard) };
  }
  if (sub !== 'up') return { kind: sub, dir };
  const ha = values['ha'];
  if (ha !== undefined && ha !== 'none' && ha !== 'patroni') return fail(`--ha expects none or patroni, got "${String(ha)}"`);

  const numbers: Record<'shards' | 'replicas' | 'base-port', number | undefined> = {
    shards: undefined,
    replicas: undefined,
    'base-port': undefined,
  };
  for (const name of ['shards', 'replicas', 'base-port'] as const) {
    const raw = values[name];
    if (raw === undefined) continue;
    if (typeof raw !== 'string' || !/^\d{1,6}$/.test(raw)) return fail(`--${name} expects a whole number, got "${String(raw)}"`);
    numbers[name] = Number(raw);
  }
  return {
    kind: 'up',
    dir,
    shards: numbers.shards,
    replicas: numbers.replicas,
    basePort: numbers['base-port'],
    noFsync: values['no-fsync'] === true,
    synchronous: values['synchronous'] === true,
    ha,
  };
}
