import { describe, expect, it } from 'vitest';
import { decodeOrderId, encodeOrderId, MAX_ORDER_ID_LENGTH, newStoredOrderId } from './order-id.js';

describe('order ids', () => {
  it('round-trip the owner and the stored key, awkward owners included', () => {
    for (const userId of ['user-1', 'ü-ñ-✓', '😀', "x' OR 1=1 --", 'a|b', '😀'.repeat(255)]) {
      const key = { userId, orderId: newStoredOrderId() };
      const id = encodeOrderId(key);
      expect(id.length).toBeLessThanOrEqual(MAX_ORDER_ID_LENGTH);
      expect(decodeOrderId(id)).toEqual(key);
    }
  });

  it('refuses truncated, garbled, forged and oversized ids', () => {
    const id = encodeOrderId({ userId: 'user-42', orderId: newStoredOrderId() });
    const flip = (i: number) => id.slice(0, i) + (id[i] === 'A' ? 'B' : 'A') + id.slice(i + 1);
    const bad = [
      '',
      'abc',
      'order-1',
      id.slice(0, -1),
      id.slice(0, -4),
      id.slice(1),
      id + 'A',
      id + '=',
      `${id} `,
      flip(0),
      flip(5),
      flip(Math.floor(id.length / 2)),
      flip(id.length - 1),
      Buffer.from('user-42').toString('base64url'),
      // Another version, otherwise well formed.
      Buffer.concat([Buffer.from([2]), Buffer.from(id, 'base64url').subarray(1)]).toString('base64url'),
      'A'.repeat(MAX_ORDER_ID_LENGTH + 1),
    ];
    for (const text of bad) expect(decodeOrderId(text), text).toBeNull();
    // Every single-character change is caught (the check covers every byte before it).
    for (let i = 0; i < id.length; i++) expect(decodeOrderId(flip(i)), `position ${i}`).toBeNull();
  });

  it('refuses stored keys that are not 16 random bytes', () => {
    expect(() => encodeOrderId({ userId: 'u', orderId: 'short' })).toThrow(RangeError);
  });
});
