import { describe, expect, it } from 'vitest';
import { MODULE_CURSORS as cursors } from '../module-cursors.js';
import { compareOrders } from './order.js';
import {
  decodeOrderCursor,
  decodeOrdersAfter as decodeWith,
  encodeOrderCursor,
  encodeOrdersAfter as encodeWith,
  maxOrdersCursorChars as maxWith,
} from './order-cursor.js';

// What the module API hands the module at run time is api.cursors.
const encodeOrdersAfter = (after: Parameters<typeof encodeWith>[0]) => encodeWith(after, cursors);
const decodeOrdersAfter = (text: string, shardCount: number) => decodeWith(text, shardCount, cursors);
const maxOrdersCursorChars = (shardCount: number) => maxWith(shardCount, cursors);

describe('order cursors', () => {
  const cursor = {
    direction: 'desc',
    status: 'PAID',
    createdAt: '2026-11-23T21:07:00.123456Z',
    orderId: 'AAAAAAAAAAAAAAAAAAAAAA',
  } as const;

  it('round-trip, with and without a status', () => {
    expect(decodeOrderCursor(encodeOrderCursor(cursor), cursors)).toEqual(cursor);
    expect(decodeOrderCursor(encodeOrderCursor({ ...cursor, direction: 'asc', status: null }), cursors)).toEqual({
      ...cursor,
      direction: 'asc',
      status: null,
    });
  });

  it('refuse anything this API did not make', () => {
    const good = encodeOrderCursor(cursor);
    for (const bad of [
      '',
      'xyz',
      `${good}=`,
      good.slice(0, -2),
      Buffer.from('o1|d|PAID|2026-02-30T00:00:00.000000Z|AAAAAAAAAAAAAAAAAAAAAA').toString('base64url'),
      Buffer.from('o1|d|LOST|2026-11-23T21:07:00.123456Z|AAAAAAAAAAAAAAAAAAAAAA').toString('base64url'),
      Buffer.from('o1|x|PAID|2026-11-23T21:07:00.123456Z|AAAAAAAAAAAAAAAAAAAAAA').toString('base64url'),
      Buffer.from("o1|d|PAID|2026-11-23T21:07:00.123456Z|' OR 1=1 --").toString('base64url'),
      Buffer.from('v1|a|2026-11-23T21:07:00.123456Z|user-1').toString('base64url'),
      'A'.repeat(300),
    ]) {
      expect(decodeOrderCursor(bad, cursors), bad).toBeNull();
    }
  });
});

describe('per-shard order cursors (partial pages)', () => {
  const k1 = { createdAt: '2026-11-23T21:07:00.123456Z', orderId: 'AAAAAAAAAAAAAAAAAAAAAA' } as const;
  const k2 = { createdAt: '2026-11-23T21:08:00.000001Z', orderId: 'B-_BBBBBBBBBBBBBBBBBBB' } as const;

  it('is the familiar o1 cursor while every shard stands at one order', () => {
    // Positions may be whole orders: their own status is not the filter's.
    const order = { ...k1, status: 'PENDING' as const };
    const text = encodeOrdersAfter({ direction: 'desc', status: 'PAID', positions: { shardCount: 3, positions: [order, order, order] } });
    expect(decodeOrderCursor(text, cursors)).toEqual({ direction: 'desc', status: 'PAID', ...k1 });
    expect(decodeOrdersAfter(text, 3)).toEqual({
      direction: 'desc',
      status: 'PAID',
      positions: { shardCount: 3, positions: [k1, k1, k1] },
    });
  });

  it('keeps each shard its own position, with the status and direction, and round-trips', () => {
    for (const after of [
      { direction: 'asc', status: null, positions: { shardCount: 4, positions: [k2, null, k1, k2] } },
      { direction: 'desc', status: 'CANCELLED', positions: { shardCount: 2, positions: [null, null] } },
    ] as const) {
      const text = encodeOrdersAfter(after);
      // Not an o1 cursor: a User.orders page refuses it.
      expect(decodeOrderCursor(text, cursors)).toBeNull();
      expect(decodeOrdersAfter(text, after.positions.shardCount)).toEqual(after);
      expect(text.length).toBeLessThanOrEqual(maxOrdersCursorChars(after.positions.shardCount));
    }
  });

  it('refuses forged per-shard cursors', () => {
    for (const bad of [
      'o2|PAID\nv2|a|3\n*|-\n9|-',
      'o2|LOST\nv2|a|3\n*|-',
      'o2|-\nv2|x|3\n*|-',
      'o2|-\nv2|a|3\n*|2026-11-23T21:07:00.123456Z|short',
      'o2|-\nv2|a|3\n*|-\n1|-\n1|-',
      'o2|-',
    ]) {
      expect(decodeOrdersAfter(Buffer.from(bad).toString('base64url'), 3), bad).toBeNull();
    }
    expect(decodeOrdersAfter('A'.repeat(maxOrdersCursorChars(3) + 4), 3)).toBeNull();
  });
});

describe('compareOrders', () => {
  it('orders by createdAt, then the stored id in byte order, either way', () => {
    const a = { createdAt: '2026-01-01T00:00:00.000001Z', orderId: 'B' };
    const b = { createdAt: '2026-01-01T00:00:00.000001Z', orderId: 'a' };
    const c = { createdAt: '2026-01-01T00:00:00.000002Z', orderId: 'A' };
    expect([c, b, a].sort(compareOrders('asc'))).toEqual([a, b, c]);
    expect([a, c, b].sort(compareOrders('desc'))).toEqual([c, b, a]);
  });
});
