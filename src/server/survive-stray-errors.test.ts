import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { strayErrorHandlers } from './survive-stray-errors.js';

function setup() {
  const logger = { error: vi.fn(), fatal: vi.fn() };
  const exit = vi.fn();
  return { logger, exit, ...strayErrorHandlers(logger as never, exit) };
}

describe('strayErrorHandlers', () => {
  it('keeps serving after an unhandled rejection, and logs it', () => {
    const { logger, exit, onRejection } = setup();
    onRejection(new Error('nobody awaited me'));
    expect(logger.error).toHaveBeenCalledOnce();
    expect(exit).not.toHaveBeenCalled();
  });

  it('keeps serving after an uncaught lost connection', () => {
    const { logger, exit, onException } = setup();
    onException(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'uncaughtException');
    onException(
      Object.assign(new pg.DatabaseError('terminating connection due to administrator command', 0, 'error'), { code: '57P01' }),
      'uncaughtException',
    );
    expect(logger.error).toHaveBeenCalledTimes(2);
    expect(exit).not.toHaveBeenCalled();
  });

  it('exits with 1 on any other uncaught exception: a bug leaves state nobody can trust', () => {
    const { logger, exit, onException } = setup();
    onException(new TypeError('x is undefined'), 'uncaughtException');
    expect(logger.fatal).toHaveBeenCalledOnce();
    expect(exit).toHaveBeenCalledWith(1);
  });
});
