import { pino, type Logger } from 'pino';
import { loadCommandEnv } from '../config/command-env.js';

export type { Logger };

/**
 * JSON logs on stderr (stdout stays for command output). The level is
 * `LOG_LEVEL` (config/command-env.ts), else `info`; a command with another
 * default, and tests (`silent`), pass their own.
 */
export function createLogger(level: string = loadCommandEnv().logLevel ?? 'info'): Logger {
  return pino({ name: 'shardgate', level }, pino.destination(2));
}
