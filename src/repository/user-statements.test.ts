import { describe, expect, it } from 'vitest';
import {
  FEW_IDS_LIMIT,
  MAX_PAGE_ROWS,
  SELECT_USER_BY_ID,
  SELECT_USERS_BY_IDS,
  usersByIdsStatement,
  usersPageStatement,
} from './user-statements.js';

describe('usersPageStatement', () => {
  it('puts the row count in the text, so that PostgreSQL can cache one plan per page size', () => {
    const first = usersPageStatement('asc', false, 21);
    expect(first.name).toBe('users_page_first_asc_21');
    expect(first.text).toBe('SELECT user_id, name, email, created_at FROM users ORDER BY created_at ASC, user_id COLLATE "C" ASC LIMIT 21');
    expect(first.text).not.toMatch(/\$\d/);
    // Spans show the size sanitized: no request value, and one text per page shape.
    expect(first.reportedText).toBe(
      'SELECT user_id, name, email, created_at FROM users ORDER BY created_at ASC, user_id COLLATE "C" ASC LIMIT ?',
    );
    expect(usersPageStatement('asc', false, 101).reportedText).toBe(first.reportedText);

    const after = usersPageStatement('desc', true, 101);
    expect(after.name).toBe('users_page_after_desc_101');
    expect(after.text).toBe(
      'SELECT user_id, name, email, created_at FROM users ' +
        'WHERE (created_at, user_id COLLATE "C") < ($1::timestamptz, $2::varchar COLLATE "C") ' +
        'ORDER BY created_at DESC, user_id COLLATE "C" DESC LIMIT 101',
    );
    expect(after.reportedText).toBe(after.text.replace(/101$/, '?'));
  });

  it('gives the same statement object for the same page, and a distinct name for every distinct text', () => {
    expect(usersPageStatement('asc', true, 5)).toBe(usersPageStatement('asc', true, 5));
    const names = new Set<string>();
    const texts = new Set<string>();
    for (const direction of ['asc', 'desc'] as const) {
      for (const afterCursor of [false, true]) {
        for (const limit of [1, 2, 21, MAX_PAGE_ROWS]) {
          const s = usersPageStatement(direction, afterCursor, limit);
          names.add(s.name);
          texts.add(s.text);
        }
      }
    }
    expect(names.size).toBe(16);
    expect(texts.size).toBe(16);
  });

  it('refuses a row count that is not a whole number in range, and builds nothing for it', () => {
    for (const limit of [0, -1, 1.5, Number.NaN, MAX_PAGE_ROWS + 1, Number.POSITIVE_INFINITY]) {
      expect(() => usersPageStatement('asc', false, limit), String(limit)).toThrow(RangeError);
    }
  });
});

describe('usersByIdsStatement', () => {
  it('reads one id with `= $1`, a few with one parameter per id, and many with one array parameter', () => {
    expect(usersByIdsStatement(1)).toEqual({ statement: SELECT_USER_BY_ID, spread: true });
    expect(SELECT_USER_BY_ID.text).toBe('SELECT user_id, name, email, created_at FROM users WHERE user_id = $1');
    const three = usersByIdsStatement(3);
    expect(three.spread).toBe(true);
    expect(three.statement.name).toBe('users_select_few_3');
    expect(three.statement.text).toBe(
      'SELECT user_id, name, email, created_at FROM users WHERE user_id = ANY(ARRAY[$1, $2, $3]::varchar[])',
    );
    expect(usersByIdsStatement(3).statement).toBe(three.statement);
    expect(usersByIdsStatement(FEW_IDS_LIMIT - 1).statement.text).toContain(`$${FEW_IDS_LIMIT - 1}]`);
    expect(usersByIdsStatement(FEW_IDS_LIMIT)).toEqual({ statement: SELECT_USERS_BY_IDS, spread: false });
    expect(usersByIdsStatement(500)).toEqual({ statement: SELECT_USERS_BY_IDS, spread: false });
  });

  it('refuses a count below one or not whole', () => {
    for (const count of [0, -1, 2.5, Number.NaN]) expect(() => usersByIdsStatement(count), String(count)).toThrow(RangeError);
  });
});
