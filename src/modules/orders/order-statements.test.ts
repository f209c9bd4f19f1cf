import { describe, expect, it } from 'vitest';
import { collectionOf } from '../../observability/statement-span.js';
import { statement } from '../../repository/statement.js';
import { operationOf } from '../apply-modules.js';
import { orderStatements } from './order-statements.js';

// What api.statement makes of a module's statement.
const statements = orderStatements({
  statement: (name, sql, options = {}) =>
    statement(`mod_orders_${name}`, operationOf(sql), sql, options.prepared ?? true, options.shownAs ?? sql),
});

describe('collectionOf, orders', () => {
  it('names orders for every orders statement, the batched LATERAL one and the transition inside WITH included', () => {
    const shape = { direction: 'desc', byStatus: true, afterCursor: true, limit: 6 } as const;
    for (const s of [
      statements.insert,
      statements.selectMany,
      statements.transition,
      statements.ofUsers(shape),
      statements.countsOfUsers(true),
      statements.page(shape),
      statements.count(false),
    ]) {
      expect(collectionOf(s as ReturnType<typeof statement>), s.name).toBe('orders');
    }
  });

  it('a shaped statement is declared once, and spans show its page size as ?', () => {
    const shape = { direction: 'asc', byStatus: false, afterCursor: false, limit: 21 } as const;
    const a = statements.page(shape) as ReturnType<typeof statement>;
    expect(statements.page(shape)).toBe(a);
    expect(a.name).toBe('mod_orders_page_asc_any_first_21');
    expect(a.text).toContain('LIMIT 21');
    expect(a.reportedText).toContain('LIMIT ?');
  });
});
