import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './config-error.js';
import type { NodeConfig, ShardConfig, Topology } from './topology.js';
import { formatIssues, topologySchema } from './topology-schema.js';

/**
 * Where a password comes from, in this order:
 * 1. the node's `passwordEnv`: the named variable, which must be set;
 * 2. a non-empty `password` in the file;
 * 3. `SHARDGATE_DB_PASSWORD`, one password for every node;
 * 4. none (trust or peer authentication, as in the local dev cluster).
 */
export const DEFAULT_PASSWORD_ENV = 'SHARDGATE_DB_PASSWORD';

export type Env = Readonly<Record<string, string | undefined>>;

/** Validate an already-parsed topology document. Throws ConfigError. */
export function parseTopology(document: unknown, env: Env = process.env): Topology {
  const result = topologySchema.safeParse(document);
  if (!result.success) {
    const problems = formatIssues(result.error.issues);
    throw new ConfigError(problems.join('\n'), problems);
  }
  const problems: string[] = [];
  const resolveNode = (node: (typeof result.data.shards)[number]['primary'], path: string): NodeConfig => {
    let password = node.password ?? '';
    if (node.passwordEnv !== undefined) {
      const fromEnv = env[node.passwordEnv];
      if (fromEnv === undefined) {
        problems.push(`${path}.passwordEnv: environment variable ${node.passwordEnv} is not set`);
      } else {
        password = fromEnv;
      }
    } else if (password === '' && env[DEFAULT_PASSWORD_ENV] !== undefined) {
      password = env[DEFAULT_PASSWORD_ENV] ?? '';
    }
    return Object.freeze({ host: node.host, port: node.port, user: node.user, password, dbname: node.dbname });
  };
  const shards: ShardConfig[] = result.data.shards.map((shard, index) =>
    Object.freeze({
      shardId: shard.shardId,
      primary: resolveNode(shard.primary, `shards[${index}].primary`),
      replicas: Object.freeze(shard.replicas.map((r, j) => resolveNode(r, `shards[${index}].replicas[${j}]`))),
    }),
  );
  if (problems.length > 0) throw new ConfigError(problems.join('\n'), problems);
  shards.sort((a, b) => a.shardId - b.shardId);
  return Object.freeze({ shards: Object.freeze(shards) });
}

/** Parse the text of a topology file: JSON, or YAML for `.yaml`/`.yml`. */
export function parseTopologyText(text: string, fileName: string, env: Env = process.env): Topology {
  const document = parseTopologyDocument(text, fileName);
  try {
    return parseTopology(document, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      const problems = err.problems.map((p) => `${fileName}: ${p}`);
      throw new ConfigError(problems.join('\n'), problems);
    }
    throw err;
  }
}

/** Read and validate a topology file. Throws ConfigError with every problem found. */
export function loadTopologyFile(path: string, env: Env = process.env): Topology {
  return parseTopologyText(readTopologyText(path), path, env);
}

/** The topology file's document as written (JSON, or YAML for .yaml/.yml), not yet validated. */
export function readTopologyDocument(path: string): unknown {
  return parseTopologyDocument(readTopologyText(path), path);
}

function readTopologyText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT' ? `${path}: no such topology file` : `${path}: cannot read (${code ?? (err as Error).message})`,
    );
  }
}

function parseTopologyDocument(text: string, fileName: string): unknown {
  const ext = extname(fileName).toLowerCase();
  try {
    return ext === '.yaml' || ext === '.yml' ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    const kind = ext === '.yaml' || ext === '.yml' ? 'YAML' : 'JSON';
    throw new ConfigError(`${fileName}: not valid ${kind}: ${(err as Error).message.split('\n')[0]}`);
  }
}
