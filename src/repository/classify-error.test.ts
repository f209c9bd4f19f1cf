import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { classifyFailure, deliveryOfFailure, isConnectionLoss, sqlStateOf } from './classify-error.js';

/** What pg raises when PostgreSQL answers with an error. */
const pgError = (code: string) => Object.assign(new pg.DatabaseError('refused', 0, 'error'), { code });

describe('classifyFailure', () => {
  it('maps statement-level SQLSTATEs to sql', () => {
    expect(classifyFailure(pgError('23505'))).toEqual({ kind: 'sql', sqlState: '23505' });
    expect(classifyFailure(pgError('42P01'))).toEqual({ kind: 'sql', sqlState: '42P01' });
    expect(classifyFailure(pgError('22001'))).toEqual({ kind: 'sql', sqlState: '22001' });
  });

  it('maps node-level SQLSTATEs to unavailable', () => {
    for (const code of ['57P01', '57P03', '57014', '08006', '53300', '28P01', '3D000', '25006']) {
      expect(classifyFailure(pgError(code)), code).toEqual({ kind: 'unavailable', detail: `SQLSTATE ${code}` });
    }
  });

  it('treats socket errors and code-less pg errors as unavailable', () => {
    expect(classifyFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toEqual({
      kind: 'unavailable',
      detail: 'ECONNREFUSED',
    });
    expect(classifyFailure(new Error('timeout exceeded when trying to connect'))).toMatchObject({ kind: 'unavailable' });
    expect(classifyFailure(undefined)).toMatchObject({ kind: 'unavailable' });
  });

  it('takes a SQLSTATE only from an error PostgreSQL sent, not from any object with a five-letter code', () => {
    expect(sqlStateOf(pgError('23505'))).toBe('23505');
    expect(sqlStateOf(Object.assign(new Error('x'), { code: '23505' }))).toBeUndefined();
    expect(classifyFailure({ code: '23505' })).toEqual({ kind: 'unavailable', detail: '23505' });
  });
});

describe('isConnectionLoss', () => {
  it('recognises broken sockets and connection-level SQLSTATEs', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT']) {
      expect(isConnectionLoss(Object.assign(new Error('x'), { code }))).toBe(true);
    }
    for (const code of ['57P01', '57P02', '08006', '08003']) expect(isConnectionLoss(pgError(code)), code).toBe(true);
  });

  it('refuses everything else: bugs must not be swallowed', () => {
    expect(isConnectionLoss(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBe(false);
    expect(isConnectionLoss(new Error('Connection terminated unexpectedly'))).toBe(false);
    for (const code of ['23505', '42P01', 'ERR_INVALID_ARG_TYPE', 'ENOENT', 'ENOMEM']) {
      expect(isConnectionLoss(Object.assign(new Error('x'), { code }))).toBe(false);
    }
    expect(isConnectionLoss(pgError('23505'))).toBe(false);
    expect(isConnectionLoss(undefined)).toBe(false);
    expect(isConnectionLoss('ECONNRESET')).toBe(false);
  });
});

describe('deliveryOfFailure', () => {
  /** What node raises when a socket write fails. */
  const socketError = (code: string, syscall: string) => Object.assign(new Error(`${syscall} ${code}`), { code, errno: -32, syscall });

  it('a statement whose own write failed never reached PostgreSQL', () => {
    expect(deliveryOfFailure(socketError('EPIPE', 'write'), false)).toBe('not-sent');
    expect(deliveryOfFailure(socketError('ECONNRESET', 'write'), false)).toBe('not-sent');
  });

  it('with a statement pipelined behind it, the failed write may be the follower: unknown', () => {
    expect(deliveryOfFailure(socketError('EPIPE', 'write'), true)).toBe('unknown');
  });

  it('a connection that broke while the answer was awaited may have applied it: unknown', () => {
    expect(deliveryOfFailure(socketError('ECONNRESET', 'read'), false)).toBe('unknown');
    expect(deliveryOfFailure(new Error('Connection terminated unexpectedly'), false)).toBe('unknown');
    expect(deliveryOfFailure(pgError('57P01'), false)).toBe('unknown');
    expect(deliveryOfFailure({ code: 'EPIPE' }, false)).toBe('unknown');
    expect(deliveryOfFailure(undefined, false)).toBe('unknown');
  });

  it('a standby refusing a write applied nothing, pipelined or not', () => {
    expect(deliveryOfFailure(pgError('25006'), false)).toBe('read-only');
    expect(deliveryOfFailure(pgError('25006'), true)).toBe('read-only');
  });
});
