import { describe, expect, it } from 'vitest';
import { operationOf } from './apply-modules.js';

describe('operationOf', () => {
  it('names a statement by its first keyword, for spans and metrics', () => {
    expect(operationOf('  select 1')).toBe('SELECT');
    expect(operationOf('WITH x AS (SELECT 1) SELECT * FROM x')).toBe('SELECT');
    expect(operationOf('INSERT INTO notes VALUES (1)')).toBe('INSERT');
    expect(operationOf('update notes SET body = $1')).toBe('UPDATE');
    expect(operationOf('DELETE FROM notes')).toBe('DELETE');
    expect(operationOf('CREATE TABLE t (x int)')).toBe('DDL');
  });
});
