import { describe, expect, it } from 'vitest';
import { checkModule, ModuleLoadError, modulePaths } from './load-modules.js';

describe('modulePaths', () => {
  it('takes every --module, else the comma-separated SHARDGATE_MODULES', () => {
    expect(modulePaths(['a.js', 'b.js'], 'c.js')).toEqual(['a.js', 'b.js']);
    expect(modulePaths(undefined, ' c.js , d.js,,')).toEqual(['c.js', 'd.js']);
    expect(modulePaths([], undefined)).toEqual([]);
  });
});

describe('checkModule', () => {
  const fails = (value: unknown) => {
    try {
      checkModule('m.js', value);
    } catch (err) {
      expect(err).toBeInstanceOf(ModuleLoadError);
      return (err as Error).message;
    }
    throw new Error('accepted');
  };

  it('accepts a module and normalises its migrations', () => {
    const m = checkModule('m.js', {
      name: 'notes',
      migrations: [
        { id: '1', sql: 'CREATE TABLE notes (user_id text)' },
        { id: '2', sql: ['SELECT 1', 'SELECT 2'] },
      ],
      tables: [{ table: 'notes', ownerColumn: 'user_id' }],
      schema: () => {},
    });
    expect(m.migrations).toEqual([
      { id: '1', sql: ['CREATE TABLE notes (user_id text)'] },
      { id: '2', sql: ['SELECT 1', 'SELECT 2'] },
    ]);
    expect(m.tables).toEqual([{ table: 'notes', ownerColumn: 'user_id' }]);
  });

  it('refuses what it cannot use, naming the module and the cause', () => {
    expect(fails(undefined)).toBe('module m.js: no default export (a module file ends with `export default { name, ... }`)');
    expect(fails(42)).toBe('module m.js: the default export is not an object');
    expect(fails({})).toMatch(/^module m\.js: no name/);
    expect(fails({ name: 'Bad-Name' })).toMatch(/^module "Bad-Name" \(m\.js\): the name must be/);
    expect(
      fails({
        name: 'x',
        migrations: [
          { id: 'a', sql: 'SELECT 1' },
          { id: 'a', sql: 'SELECT 1' },
        ],
      }),
    ).toMatch(/appears twice/);
    expect(fails({ name: 'x', migrations: [{ id: 'a', sql: '' }] })).toMatch(/needs sql/);
    expect(fails({ name: 'x', tables: [{ table: 'no"tes', ownerColumn: 'user_id' }] })).toMatch(/tables\[0\]\.table/);
    expect(fails({ name: 'x', tables: [{ table: 'notes', ownerColumn: 'user id' }] })).toMatch(/tables\[0\]\.ownerColumn/);
    expect(fails({ name: 'x', tables: [{ table: 'users', ownerColumn: 'user_id' }] })).toMatch(/table users is the gateway's own/);
    expect(fails({ name: 'x', tables: [{ table: 'shardgate_layout', ownerColumn: 'user_id' }] })).toMatch(/gateway's own/);
    expect(fails({ name: 'x', schema: 'no' })).toMatch(/`schema` must be a function/);
  });
});
