import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './cli-io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** `node:util` parseArgs, strict, with its errors turned into one-line UsageErrors. */
export function parseFlags<T extends Options>(argv: string[], options: T, command: string) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
  } catch (err) {
    const message = (err as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, '');
    throw new UsageError(`${command}: ${message} (see \`shardgate ${command} --help\`)`);
  }
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
export function configPath(flag: string | undefined, command: string): string {
  const path = flag ?? process.env.SHARDGATE_CONFIG;
  if (!path) throw new UsageError(`${command}: --config F (or SHARDGATE_CONFIG) is required`);
  return path;
}
