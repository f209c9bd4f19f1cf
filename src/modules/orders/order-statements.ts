import type { ModuleApi, ModuleStatement } from '../module-api.js';
import type { OrderDirection } from './order.js';

/*
 * Every SQL statement about orders, declared through the module API (so
 * each is named `mod_orders_<name>` in spans and metrics). Parameterised
 * only, but for a page's validated row count, written into the text as for
 * users (one prepared statement, one cached generic plan, per page size;
 * spans show `?`).
 *
 * Orders sort by (created_at, order_id COLLATE "C"): byte order, which the
 * merge of the shards' pages in JavaScript reproduces whatever the
 * database's collation. Indexes (see the migration): per user
 * (user_id, created_at, order_id) and (user_id, status, created_at,
 * order_id) for `User.orders`; across users (created_at, order_id) and
 * (status, created_at, order_id) for the root `orders` pages.
 */

const COLUMNS = 'order_id, user_id, status, total_cents, currency, created_at';
const O_COLUMNS = 'o.order_id, o.user_id, o.status, o.total_cents, o.currency, o.created_at';

/** The largest page a statement may ask one shard (or one user) for. */
export const MAX_ORDER_PAGE_ROWS = 1_000;

const ORDER_BY = {
  asc: 'ORDER BY created_at ASC, order_id COLLATE "C" ASC',
  desc: 'ORDER BY created_at DESC, order_id COLLATE "C" DESC',
} as const;
const AFTER = { asc: '>', desc: '<' } as const;

/** The shape of a list of orders that decides the statement's text (and so its cached plan). */
export interface SliceShape {
  readonly direction: OrderDirection;
  readonly byStatus: boolean;
  readonly afterCursor: boolean;
  readonly limit: number;
}

function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_ORDER_PAGE_ROWS) {
    throw new RangeError(`a page holds 1 to ${MAX_ORDER_PAGE_ROWS} rows, not ${limit}`);
  }
}

/** WHERE conditions of a slice, numbering its parameters from `first`: status, then the cursor's (created_at, order_id). */
function conditions(shape: SliceShape, first: number): string[] {
  const parts: string[] = [];
  let n = first;
  if (shape.byStatus) parts.push(`status = $${n++}`);
  if (shape.afterCursor) {
    parts.push(`(created_at, order_id COLLATE "C") ${AFTER[shape.direction]} ($${n}::timestamptz, $${n + 1}::varchar COLLATE "C")`);
  }
  return parts;
}

export type OrderStatements = ReturnType<typeof orderStatements>;

/** The statements, declared with `api.statement` (the fixed ones now, the shaped ones on first use). */
export function orderStatements(api: Pick<ModuleApi, 'statement'>) {
  const cache = new Map<string, ModuleStatement>();
  const cached = (name: string, build: () => ModuleStatement): ModuleStatement => {
    let stmt = cache.get(name);
    if (!stmt) {
      stmt = build();
      cache.set(name, stmt);
    }
    return stmt;
  };
  return {
    /** The owner must exist: the foreign key refuses the row otherwise (23503), even against a concurrent deleteUser. */
    insert: api.statement(
      'insert',
      `INSERT INTO orders (order_id, user_id, status, total_cents, currency) VALUES ($1, $2, 'PENDING', $3, $4) RETURNING ${COLUMNS}`,
    ),
    /**
     * Orders by (owner, key), all of one shard in one statement: a nested loop
     * of primary-key probes over the pairs.
     */
    selectMany: api.statement(
      'select_many',
      `SELECT ${O_COLUMNS}
       FROM unnest($1::varchar[], $2::varchar[]) AS k(user_id, order_id)
       JOIN orders o ON o.user_id = k.user_id AND o.order_id = k.order_id`,
    ),
    /**
     * A status transition decided by the stored state, in one statement: the
     * UPDATE applies only when the order's status is one the target may be
     * reached from ($4), re-checked on the newest row version if a concurrent
     * transition got there first (so of two, exactly one applies). When it did
     * not apply, the order as this statement saw it says why: absent (not
     * found) or present (an invalid transition).
     */
    transition: api.statement(
      'transition',
      `WITH changed AS (
         UPDATE orders SET status = $3
         WHERE user_id = $1 AND order_id = $2 AND status = ANY($4::varchar[])
         RETURNING ${COLUMNS}
       )
       SELECT true AS applied, ${COLUMNS} FROM changed
       UNION ALL
       SELECT false AS applied, ${COLUMNS} FROM orders
       WHERE user_id = $1 AND order_id = $2 AND NOT EXISTS (SELECT 1 FROM changed)`,
    ),
    /**
     * The orders of many users of one shard in one statement, at most `limit`
     * per user, newest or oldest first: a LATERAL join runs the per-user index
     * scan (user_id, [status,] created_at, order_id) once per userId of $1 and
     * stops each after `limit` rows, so the cost is the users' pages, never
     * their whole histories. Parameters: $1 the userIds, then $2 the status
     * (when filtered), then the cursor's created_at and order_id (when after one).
     */
    ofUsers(shape: SliceShape): ModuleStatement {
      checkLimit(shape.limit);
      const name = `of_users_${shape.direction}_${shape.byStatus ? 'status' : 'any'}_${shape.afterCursor ? 'after' : 'first'}_${shape.limit}`;
      return cached(name, () => {
        const where = ['user_id = u.user_id', ...conditions(shape, 2)].join(' AND ');
        const text = (limit: string) =>
          `SELECT ${O_COLUMNS}
           FROM unnest($1::varchar[]) AS u(user_id)
           CROSS JOIN LATERAL (
             SELECT ${COLUMNS} FROM orders WHERE ${where} ${ORDER_BY[shape.direction]} LIMIT ${limit}
           ) AS o`;
        return api.statement(name, text(String(shape.limit)), { shownAs: text('?') });
      });
    },
    /**
     * How many orders each of many users of one shard has (in one status, or
     * all), in one statement: an index-only count per userId of $1; users with
     * none answer 0.
     */
    countsOfUsers(byStatus: boolean): ModuleStatement {
      const name = `count_of_users_${byStatus ? 'status' : 'any'}`;
      return cached(name, () =>
        api.statement(
          name,
          `SELECT u.user_id, (SELECT count(*) FROM orders o WHERE o.user_id = u.user_id${byStatus ? ' AND o.status = $2' : ''})::int8 AS n
           FROM unnest($1::varchar[]) AS u(user_id)`,
        ),
      );
    },
    /**
     * One shard's next `limit` orders of every user, in (created_at, order_id)
     * order, from the start or strictly after a cursor: the shard's part of a
     * root `orders` page. Parameters: the status (when filtered), then the
     * cursor's created_at and order_id (when after one).
     */
    page(shape: SliceShape): ModuleStatement {
      checkLimit(shape.limit);
      const name = `page_${shape.direction}_${shape.byStatus ? 'status' : 'any'}_${shape.afterCursor ? 'after' : 'first'}_${shape.limit}`;
      return cached(name, () => {
        const parts = conditions(shape, 1);
        const where = parts.length > 0 ? `WHERE ${parts.join(' AND ')} ` : '';
        const text = (limit: string) => `SELECT ${COLUMNS} FROM orders ${where}${ORDER_BY[shape.direction]} LIMIT ${limit}`;
        return api.statement(name, text(String(shape.limit)), { shownAs: text('?') });
      });
    },
    /** All orders of one shard (in one status, or all). */
    count(byStatus: boolean): ModuleStatement {
      const name = `count_${byStatus ? 'status' : 'any'}`;
      return cached(name, () => api.statement(name, `SELECT count(*)::int8 AS n FROM orders${byStatus ? ' WHERE status = $1' : ''}`));
    },
  };
}
