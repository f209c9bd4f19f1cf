import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './cli-io.js';
import { loadCommandEnv, type CommandEnv } from '../config/command-env.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Every command's flags: `node:util` parseArgs, strict, no positionals, with
 * `-h/--help`; its errors become one-line UsageErrors naming the command.
 */
export function parseFlags<T extends Options>(argv: readonly string[], options: T, command: string) {
  try {
    return parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new UsageError(`${command}: ${flagErrorMessage(err)} (see \`shardgate ${command} --help\`)`);
  }
}

/** parseArgs's message, first sentence only: the rest goes on about '--' conventions. */
export function flagErrorMessage(err: unknown): string {
  const message = (err as Error).message.split('\n')[0]!;
  const end = message.search(/\.(\s|$)/);
  const sentence = end === -1 ? message : message.slice(0, end);
  return sentence.charAt(0).toLowerCase() + sentence.slice(1);
}

/** An integer flag within bounds, or a UsageError naming the flag. */
export function intFlag(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value)) throw new UsageError(`--${name}: expected an integer, got ${JSON.stringify(value)}`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`--${name}: expected an integer between ${min} and ${max}, got ${n}`);
  return n;
}

/** The topology file: --config, else SHARDGATE_CONFIG. */
export function configPath(flag: string | undefined, command: string, env: CommandEnv = loadCommandEnv()): string {
  const path = flag ?? env.configPath;
  if (!path) throw new UsageError(`${command}: --config F (or SHARDGATE_CONFIG) is required`);
  return path;
}
