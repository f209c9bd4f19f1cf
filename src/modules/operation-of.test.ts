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

  it('a WITH that modifies data is named by its write', () => {
    expect(operationOf('WITH c AS (UPDATE orders SET status = $1 RETURNING *) SELECT * FROM c')).toBe('UPDATE');
    expect(operationOf('WITH c AS (DELETE FROM notes WHERE id = $1 RETURNING *) SELECT count(*) FROM c')).toBe('DELETE');
    expect(operationOf('WITH n AS (INSERT INTO notes VALUES (1) RETURNING *) SELECT * FROM n')).toBe('INSERT');
  });
});
