import type { Logger } from 'pino';
import { isConnectionLoss } from '../repository/classify-error.js';

/** Where stray errors arrive and how to leave: the running process unless a caller passes its own. */
export interface StrayErrorWiring {
  /** Emits 'unhandledRejection' and 'uncaughtException'. */
  readonly events?: Pick<NodeJS.EventEmitter, 'on' | 'off'>;
  /** Ends the process; the dev command stops its cluster first. */
  readonly exit?: (code: number) => void;
}

/**
 * The process's last resort, for a gateway that must keep serving every
 * shard when one connection misbehaves. Every pg client already has its own
 * `'error'` listener (see repository/node-pool.ts), so nothing should reach
 * these handlers; when something does:
 * - an unhandled promise rejection is logged and the process keeps serving:
 *   a rejected promise nobody awaited changed no state;
 * - an uncaught connection loss (a socket errno or a connection-level
 *   SQLSTATE) is logged and the process keeps serving: only that connection
 *   is gone, and the pools replace it;
 * - any other uncaught exception is a bug that may have left state half
 *   updated: it is logged as fatal and the process exits with code 1, for its
 *   supervisor to restart it, rather than serve from a state nobody can trust.
 * Returns a function that removes the handlers.
 */
export function surviveStrayErrors(
  logger: Pick<Logger, 'error' | 'fatal'>,
  { events = process, exit = (code) => process.exit(code) }: StrayErrorWiring = {},
): () => void {
  const onRejection = (reason: unknown) => {
    logger.error({ err: reason }, 'unhandled promise rejection; still serving');
  };
  const onException = (err: Error, origin: string) => {
    if (isConnectionLoss(err)) {
      logger.error({ err, origin }, 'uncaught connection error; still serving');
      return;
    }
    logger.fatal({ err, origin }, 'uncaught exception; exiting');
    exit(1);
  };
  events.on('unhandledRejection', onRejection);
  events.on('uncaughtException', onException);
  return () => {
    events.off('unhandledRejection', onRejection);
    events.off('uncaughtException', onException);
  };
}
