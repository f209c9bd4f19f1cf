import { describe, expect, it } from 'vitest';
import { decodeOrderCursor, encodeOrderCursor } from './order-cursor.js';
import { compareOrders } from './order-type.js';

describe('order cursors', () => {
  const cursor = {
    direction: 'desc',
    status: 'PAID',
    createdAt: '2026-11-23T21:07:00.123456Z',
    orderId: 'AAAAAAAAAAAAAAAAAAAAAA',
  } as const;

  it('round-trip, with and without a status', () => {
    expect(decodeOrderCursor(encodeOrderCursor(cursor))).toEqual(cursor);
    expect(decodeOrderCursor(encodeOrderCursor({ ...cursor, direction: 'asc', status: null }))).toEqual({
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
      expect(decodeOrderCursor(bad), bad).toBeNull();
    }
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
