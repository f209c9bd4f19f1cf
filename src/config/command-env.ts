import { ConfigError } from './config-error.js';
import type { Env } from './load-topology.js';

/** pino's levels, `silent` included. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * What the shardgate commands read from the environment beside the
 * gateway's tuning (gateway-options.ts). Each is the fallback of a
 * command-line flag or of a command's own default, so each is undefined
 * when unset or empty; the command decides (and checks a port with its
 * `--port` flag).
 */
export interface CommandEnv {
  /** `PORT`: where `serve` and `dev` listen without `--port`. */
  readonly port: string | undefined;
  /** `HOST`: the address `serve` binds without `--host`. */
  readonly host: string | undefined;
  /** `SHARDGATE_CONFIG`: the topology file without `--config`. */
  readonly configPath: string | undefined;
  /** `LOG_LEVEL`: the JSON log's level (`serve` logs `info` by default, `dev` only warnings). */
  readonly logLevel: LogLevel | undefined;
  /** `SHARDGATE_MODULES`: module files (comma-separated) `serve`, `migrate` and `reshard` load without `--module`. */
  readonly modules: string | undefined;
}

const isLogLevel = (value: string): value is LogLevel => (LOG_LEVELS as readonly string[]).includes(value);

/** Reads the commands' variables; a LOG_LEVEL pino does not know is a ConfigError naming it. */
export function loadCommandEnv(env: Env = process.env): CommandEnv {
  const value = (name: string) => (env[name] === '' ? undefined : env[name]);
  const logLevel = value('LOG_LEVEL');
  if (logLevel !== undefined && !isLogLevel(logLevel)) {
    throw new ConfigError(`LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  }
  return {
    port: value('PORT'),
    host: value('HOST'),
    configPath: value('SHARDGATE_CONFIG'),
    logLevel,
    modules: value('SHARDGATE_MODULES'),
  };
}
