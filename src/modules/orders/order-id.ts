import { createHash, randomBytes } from 'node:crypto';
import type { OrderKey } from './order.js';

/*
 * The public id of an order carries its owner, so that a lookup by id goes
 * to one shard with no scatter and no lookup table:
 *
 *   base64url( 0x01 | 16 random bytes | owner's userId (UTF-8) | 4-byte check )
 *
 * The random bytes, as base64url text (22 characters), are the order's key
 * among its owner's orders (`orders.order_id`). The check is the start of a
 * SHA-256 of what precedes it: a truncated, garbled or hand-made id fails it
 * and is refused before any SQL. It is not a signature: someone who computes
 * it can make a well-formed id, which then finds nothing (or an order of
 * that user they could list anyway).
 */

const VERSION = 1;
const RANDOM_BYTES = 16;
const CHECK_BYTES = 4;
/** A userId is at most 255 characters, at most 4 bytes each: an id is at most 1041 bytes, 1388 characters. */
export const MAX_ORDER_ID_LENGTH = 1400;
const STORED_ID = /^[A-Za-z0-9_-]{22}$/;

/** A fresh key for a new order of some user: 16 random bytes as base64url. */
export function newStoredOrderId(): string {
  return randomBytes(RANDOM_BYTES).toString('base64url');
}

/** The public id of the order stored under `key`. */
export function encodeOrderId(key: OrderKey): string {
  const random = Buffer.from(key.orderId, 'base64url');
  if (random.length !== RANDOM_BYTES || !STORED_ID.test(key.orderId)) throw new RangeError(`not a stored order id: ${key.orderId}`);
  const payload = Buffer.concat([Buffer.from([VERSION]), random, Buffer.from(key.userId, 'utf8')]);
  return Buffer.concat([payload, checkOf(payload)]).toString('base64url');
}

/**
 * The key an id names, or null when the text is not an id this API made:
 * not canonical base64url, too short or too long, another version, a check
 * that does not match, or an owner that is not valid UTF-8. The owner's
 * userId still has to pass the usual userId rules (the GraphQL edge checks).
 */
export function decodeOrderId(text: string): OrderKey | null {
  if (text.length === 0 || text.length > MAX_ORDER_ID_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64url');
  // A non-canonical text (stray trailing bits) decodes like another: refuse it so one order has one id.
  if (bytes.toString('base64url') !== text) return null;
  if (bytes.length < 1 + RANDOM_BYTES + 1 + CHECK_BYTES || bytes[0] !== VERSION) return null;
  const payload = bytes.subarray(0, bytes.length - CHECK_BYTES);
  if (!checkOf(payload).equals(bytes.subarray(bytes.length - CHECK_BYTES))) return null;
  const owner = payload.subarray(1 + RANDOM_BYTES);
  const userId = owner.toString('utf8');
  // Invalid UTF-8 decodes to U+FFFD: two different byte strings would name one user.
  if (!Buffer.from(userId, 'utf8').equals(owner)) return null;
  return { userId, orderId: payload.subarray(1, 1 + RANDOM_BYTES).toString('base64url') };
}

function checkOf(payload: Buffer): Buffer {
  return createHash('sha256').update('shardgate-order-id').update(payload).digest().subarray(0, CHECK_BYTES);
}
