import { parseArgs } from 'node:util';

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
    }
  | { readonly kind: 'down'; readonly dir: string }
  | { readonly kind: 'status'; readonly dir: string };

export const DEFAULT_SHARDS = 3;
export const DEFAULT_REPLICAS = 1;
export const DEFAULT_BASE_PORT = 54320;

export const CLUSTER_HELP = `Usage: shardgate cluster <command> --dir D [options]

A local development cluster: PostgreSQL shards on 127.0.0.1, each a primary
with streaming replicas, for the gateway to run against.

Commands:
  up      create the cluster in D, or start what is stopped; write D/topology.json
  down    stop every node of the cluster in D
  status  one line per node: shard, role, port, up/down, replication lag

Run \`shardgate cluster <command> --help\` for the options of a command.`;

const UP_HELP = `Usage: shardgate cluster up --dir D [--shards ${DEFAULT_SHARDS}] [--replicas ${DEFAULT_REPLICAS}] [--base-port ${DEFAULT_BASE_PORT}] [--no-fsync]

Create a local cluster in D: initdb each shard's primary, clone its replicas
with pg_basebackup (physical streaming replication), start every node, wait
until every replica streams, create the database "shardgate" on every
primary, and write the topology file D/topology.json. On an existing D, start
whatever is stopped; the layout stays the one D was created with.

Options:
  --dir D          cluster directory (required)
  --shards N       number of shards (default ${DEFAULT_SHARDS})
  --replicas N     streaming replicas per shard (default ${DEFAULT_REPLICAS})
  --base-port P    port of shard 0's primary (default ${DEFAULT_BASE_PORT}); shard i's
                   primary listens on P + i*(replicas+1), its replicas on the next ports
  --no-fsync       do not fsync: much faster, but a machine crash may corrupt
                   the data (for throw-away clusters)
  -h, --help       show this help`;

const DOWN_HELP = `Usage: shardgate cluster down --dir D

Stop every node of the cluster in D (pg_ctl stop -m fast), leaving no
PostgreSQL process of it behind. The data stays in D; \`cluster up\` starts it again.

Options:
  --dir D          cluster directory (required)
  -h, --help       show this help`;

const STATUS_HELP = `Usage: shardgate cluster status --dir D

One line per node of the cluster in D: shard, role, port, up or down, the
postmaster's pid, and for replicas the replication lag (seconds and bytes).

Options:
  --dir D          cluster directory (required)
  -h, --help       show this help`;

const HELP = { up: UP_HELP, down: DOWN_HELP, status: STATUS_HELP } as const;

/** Parse the arguments after `shardgate cluster`. Unknown flags, stray arguments and bad numbers are usage errors. */
export function parseClusterArgs(argv: readonly string[]): ClusterCommand {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') return { kind: 'help', text: CLUSTER_HELP };
  if (sub !== 'up' && sub !== 'down' && sub !== 'status') {
    return { kind: 'usage-error', message: `cluster: unknown command "${sub}"; expected up, down or status (see \`shardgate cluster --help\`)` };
  }
  const fail = (message: string): ClusterCommand => ({
    kind: 'usage-error',
    message: `cluster ${sub}: ${message} (see \`shardgate cluster ${sub} --help\`)`,
  });
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...rest],
      strict: true,
      allowPositionals: false,
      options: {
        dir: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...(sub === 'up'
          ? {
              shards: { type: 'string' },
              replicas: { type: 'string' },
              'base-port': { type: 'string' },
              'no-fsync': { type: 'boolean' },
            }
          : {}),
      },
    }));
  } catch (err) {
    // Node's messages go on about '--' conventions; the first sentence is the useful part.
    return fail(firstSentence((err as Error).message));
  }
  if (values['help'] === true) return { kind: 'help', text: HELP[sub] };
  const dir = values['dir'];
  if (typeof dir !== 'string' || dir === '') return fail('--dir D is required');
  if (sub !== 'up') return { kind: sub, dir };

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
  };
}

function firstSentence(message: string): string {
  const end = message.search(/\.(\s|$)/);
  const sentence = end === -1 ? message : message.slice(0, end);
  return sentence.charAt(0).toLowerCase() + sentence.slice(1);
}
