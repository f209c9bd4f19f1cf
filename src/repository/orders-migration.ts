import { ORDERS_TABLE } from './colocated-tables.js';
import { layoutGuardOn } from './reshard-schema.js';
import { statement, type Statement } from './statement.js';

/**
 * The orders table, co-located with its owner: on the owner's shard, with a
 * foreign key to users (so an order never outlives its user, and
 * `createOrder` for a missing user fails in the database, not in a racy
 * read first). Indexes: per user, newest or oldest first, with or without
 * a status (`User.orders`, counts); across users, in keyset order, with or
 * without a status (root `orders` pages). order_id in byte order (COLLATE
 * "C"), as the merge of shard pages compares it.
 */
export const ORDERS_MIGRATION: { version: number; description: string; statements: Statement[] } = {
  version: 4,
  description: 'orders table, co-located with users (foreign key, ON DELETE CASCADE) and its keyset indexes',
  statements: [
    statement(
      'm4_orders',
      'DDL',
      `CREATE TABLE IF NOT EXISTS orders (
         order_id     VARCHAR(64)  NOT NULL,
         user_id      VARCHAR(255) NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
         status       VARCHAR(16)  NOT NULL CHECK (status IN ('PENDING', 'PAID', 'SHIPPED', 'CANCELLED')),
         total_cents  BIGINT       NOT NULL CHECK (total_cents >= 0),
         currency     CHAR(3)      NOT NULL,
         created_at   TIMESTAMPTZ  NOT NULL DEFAULT now(),
         PRIMARY KEY (user_id, order_id)
       )`,
      false,
    ),
    statement(
      'm4_ix_orders_user_created',
      'DDL',
      'CREATE INDEX IF NOT EXISTS ix_orders_user_created ON orders (user_id, created_at, order_id COLLATE "C")',
      false,
    ),
    statement(
      'm4_ix_orders_user_status_created',
      'DDL',
      'CREATE INDEX IF NOT EXISTS ix_orders_user_status_created ON orders (user_id, status, created_at, order_id COLLATE "C")',
      false,
    ),
    statement(
      'm4_ix_orders_created',
      'DDL',
      'CREATE INDEX IF NOT EXISTS ix_orders_created ON orders (created_at, order_id COLLATE "C")',
      false,
    ),
    statement(
      'm4_ix_orders_status_created',
      'DDL',
      'CREATE INDEX IF NOT EXISTS ix_orders_status_created ON orders (status, created_at, order_id COLLATE "C")',
      false,
    ),
    // A gateway on a stale layout can write no order to the wrong shard.
    layoutGuardOn(ORDERS_TABLE),
  ],
};
