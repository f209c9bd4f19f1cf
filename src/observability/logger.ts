import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs on stderr (stdout stays for command output). `LOG_LEVEL`
 * chooses the level; tests pass `silent`.
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: 'shardgate', level }, pino.destination(2));
}
