import { z } from 'zod';

/**
 * Strict schema of the topology file. Unknown keys are refused (a typo such as
 * `replica` for `replicas` must not silently give a shard without replicas).
 * Messages are written for `formatIssues`, which prefixes the field path.
 */
const text = (what: string) =>
  z
    .string({ error: (i) => (i.input === undefined ? 'is required' : `expected a string (${what})`) })
    .min(1, { error: `must not be empty (${what})` })
    .max(255, { error: `is longer than 255 characters (${what})` });

const port = z
  .int({ error: (i) => (i.input === undefined ? 'is required' : 'expected an integer') })
  .min(1, { error: 'expected a port between 1 and 65535' })
  .max(65535, { error: 'expected a port between 1 and 65535' });

export const nodeSchema = z.strictObject(
  {
    host: text('host name or address'),
    port,
    user: text('database user'),
    /** May be empty or absent: then it comes from the environment, or none is used. */
    password: z.string({ error: 'expected a string' }).optional(),
    /** Name of an environment variable that holds this node's password. */
    passwordEnv: z
      .string({ error: 'expected a string' })
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' })
      .optional(),
    dbname: text('database name'),
  },
  { error: (i) => (i.input === undefined ? 'is required' : 'expected an object') },
);

export const shardSchema = z.strictObject(
  {
    shardId: z
      .int({ error: (i) => (i.input === undefined ? 'is required' : 'expected an integer') })
      .min(0, { error: 'expected an integer of at least 0' }),
    primary: nodeSchema,
    replicas: z.array(nodeSchema, { error: 'expected an array' }).default([]),
  },
  { error: 'expected an object' },
);

export const topologySchema = z
  .strictObject(
    {
      shards: z
        .array(shardSchema, { error: (i) => (i.input === undefined ? 'is required' : 'expected an array') })
        .min(1, { error: 'expected at least one shard' }),
    },
    { error: 'expected a JSON object at the top level' },
  )
  .superRefine((value, ctx) => {
    // Shard ids must be exactly 0..N-1: a hole or a duplicate would route some
    // users to a shard that does not exist, or to two places at once.
    const n = value.shards.length;
    const seen = new Map<number, number>();
    value.shards.forEach((shard, index) => {
      const first = seen.get(shard.shardId);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['shards', index, 'shardId'],
          message: `duplicate shard id ${shard.shardId} (also at shards[${first}])`,
        });
      } else {
        seen.set(shard.shardId, index);
      }
      if (shard.shardId >= n) {
        ctx.addIssue({
          code: 'custom',
          path: ['shards', index, 'shardId'],
          message: `shard id ${shard.shardId} is out of range: with ${n} shard(s) the ids must be exactly 0..${n - 1}`,
        });
      }
    });
    // One server listed twice in a shard would be probed as two nodes claiming one role (a split brain that is not one).
    value.shards.forEach((shard, index) => {
      const seenAt = new Map<string, string>();
      const nodes: [readonly (string | number)[], { host: string; port: number }][] = [
        [['primary'], shard.primary],
        ...shard.replicas.map((r, j): [readonly (string | number)[], { host: string; port: number }] => [['replicas', j], r]),
      ];
      for (const [where, node] of nodes) {
        const address = `${node.host}:${node.port}`;
        const first = seenAt.get(address);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['shards', index, ...where, 'port'],
            message: `${address} is already listed in this shard (at ${first})`,
          });
        } else {
          seenAt.set(address, formatPath(['shards', index, ...where]));
        }
      }
    });
    const missing: number[] = [];
    for (let id = 0; id < n; id++) if (!seen.has(id)) missing.push(id);
    if (missing.length > 0 && [...seen.keys()].every((id) => id < n)) {
      ctx.addIssue({ code: 'custom', path: ['shards'], message: `missing shard id(s) ${missing.join(', ')}` });
    }
  });

export type TopologyInput = z.input<typeof topologySchema>;
export type ParsedTopology = z.output<typeof topologySchema>;

/** `shards[1].primary.port` from `['shards', 1, 'primary', 'port']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(top level)' : out;
}

/** One line per issue, each naming the field path. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => `"${k}"`).join(', ');
      return `${formatPath(issue.path)}: unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}`;
    }
    return `${formatPath(issue.path)}: ${issue.message}`;
  });
}
