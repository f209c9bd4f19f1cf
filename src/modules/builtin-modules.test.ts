import { describe, expect, it } from 'vitest';
import { BUILTIN_MODULES, reshardModules, withBuiltins } from './builtin-modules.js';
import { checkModule } from './load-modules.js';

describe('the built-in modules', () => {
  it('come first, always, and reshard moves their tables', () => {
    const notes = checkModule('notes.js', { name: 'notes', tables: [{ table: 'notes', ownerColumn: 'user_id' }] });
    expect(withBuiltins([notes]).map((m) => m.name)).toEqual(['users', 'orders', 'notes']);
    expect(BUILTIN_MODULES.map((m) => m.name)).toEqual(['users', 'orders']);
    expect(reshardModules([notes]).tables).toEqual([
      { table: 'orders', ownerColumn: 'user_id' },
      { table: 'notes', ownerColumn: 'user_id' },
    ]);
    expect(reshardModules().tables).toEqual([{ table: 'orders', ownerColumn: 'user_id' }]);
  });

  it('keep their names and tables: a loaded module that takes one is refused, naming it', () => {
    const named = checkModule('o.js', { name: 'orders' });
    expect(() => withBuiltins([named])).toThrow(/module "orders" \(o\.js\): the name is taken by a built-in module/);
    const users = checkModule('u.js', { name: 'users' });
    expect(() => withBuiltins([users])).toThrow(/module "users" \(u\.js\): the name is taken by a built-in module/);
    const table = checkModule('mine.js', { name: 'mine', tables: [{ table: 'orders', ownerColumn: 'user_id' }] });
    expect(() => withBuiltins([table])).toThrow(/module "mine" \(mine\.js\): table orders is the gateway's own/);
  });
});
