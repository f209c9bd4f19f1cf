import { EventEmitter } from 'node:events';
import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { surviveStrayErrors } from './survive-stray-errors.js';

/** A stand-in for `process`: the test emits the stray errors and records the exit. */
function setup() {
  const logger = { error: vi.fn(), fatal: vi.fn() };
  const events = new EventEmitter();
  const exit = vi.fn();
  const remove = surviveStrayErrors(logger, { events, exit });
  return { logger, exit, events, remove };
}

describe('surviveStrayErrors', () => {
  it('keeps serving after an unhandled rejection, and logs it', () => {
    const { logger, exit, events } = setup();
    events.emit('unhandledRejection', new Error('nobody awaited me'));
    expect(logger.error).toHaveBeenCalledOnce();
    expect(exit).not.toHaveBeenCalled();
  });

  it('keeps serving after an uncaught lost connection', () => {
    const { logger, exit, events } = setup();
    events.emit('uncaughtException', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'uncaughtException');
    events.emit(
      'uncaughtException',
      Object.assign(new pg.DatabaseError('terminating connection due to administrator command', 0, 'error'), { code: '57P01' }),
      'uncaughtException',
    );
    expect(logger.error).toHaveBeenCalledTimes(2);
    expect(exit).not.toHaveBeenCalled();
  });

  it('exits with 1 on any other uncaught exception: a bug leaves state nobody can trust', () => {
    const { logger, exit, events } = setup();
    events.emit('uncaughtException', new TypeError('x is undefined'), 'uncaughtException');
    expect(logger.fatal).toHaveBeenCalledOnce();
    expect(exit).toHaveBeenCalledWith(1);
  });

  it('removes both handlers when asked', () => {
    const { events, remove } = setup();
    expect(events.listenerCount('unhandledRejection')).toBe(1);
    expect(events.listenerCount('uncaughtException')).toBe(1);
    remove();
    expect(events.listenerCount('unhandledRejection')).toBe(0);
    expect(events.listenerCount('uncaughtException')).toBe(0);
  });
});
