import { describe, expect, it } from 'vitest';
import { classifyFailure, isConnectionLoss } from './classify-error.js';

describe('classifyFailure', () => {
  it('maps statement-level SQLSTATEs to sql', () => {
    expect(classifyFailure({ code: '23505' })).toEqual({ kind: 'sql', sqlState: '23505' });
    expect(classifyFailure({ code: '42P01' })).toEqual({ kind: 'sql', sqlState: '42P01' });
    expect(classifyFailure({ code: '22001' })).toEqual({ kind: 'sql', sqlState: '22001' });
  });

  it('maps node-level SQLSTATEs to unavailable', () => {
    for (const code of ['57P01', '57P03', '57014', '08006', '53300', '28P01', '3D000', '25006']) {
      expect(classifyFailure({ code }).kind).toBe('unavailable');
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
});

describe('isConnectionLoss', () => {
  it('recognises broken sockets and connection-level SQLSTATEs', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT', '57P01', '57P02', '08006', '08003']) {
      expect(isConnectionLoss(Object.assign(new Error('x'), { code }))).toBe(true);
    }
  });

  it('refuses everything else: bugs must not be swallowed', () => {
    expect(isConnectionLoss(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBe(false);
    expect(isConnectionLoss(new Error('Connection terminated unexpectedly'))).toBe(false);
    for (const code of ['23505', '42P01', 'ERR_INVALID_ARG_TYPE', 'ENOENT', 'ENOMEM']) {
      expect(isConnectionLoss(Object.assign(new Error('x'), { code }))).toBe(false);
    }
    expect(isConnectionLoss(undefined)).toBe(false);
    expect(isConnectionLoss('ECONNRESET')).toBe(false);
  });
});
