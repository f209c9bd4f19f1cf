import { describe, expect, it } from 'vitest';
import { BadUserInputError } from './errors.js';
import { storedUserId, validEmail, validName, validPageSize, validUserId, validUserIds } from './validate-input.js';

const fails = (fn: () => unknown, field: string) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BadUserInputError);
    expect((err as BadUserInputError).field).toBe(field);
    return;
  }
  throw new Error('expected a BadUserInputError');
};

describe('input validation', () => {
  it('userId: not empty, at most 255 characters, no control characters', () => {
    expect(validUserId('userId', 'ü-ñ-✓')).toBe('ü-ñ-✓');
    expect(validUserId('userId', '😀'.repeat(255))).toHaveLength(510); // 255 characters, 510 UTF-16 units
    fails(() => validUserId('userId', ''), 'userId');
    fails(() => validUserId('userId', 'x'.repeat(256)), 'userId');
    fails(() => validUserId('userId', 'a\nb'), 'userId');
    fails(() => validUserId('userId', 'a\u0000b'), 'userId');
    fails(() => validUserId('userId', 'a\u007fb'), 'userId');
  });

  it('every string: well-formed Unicode and no control characters; userId not blank', () => {
    fails(() => validUserId('userId', 'bad-\ud800-x'), 'userId');
    fails(() => validUserId('userId', '\udc00'), 'userId');
    fails(() => validUserId('userId', '   '), 'userId');
    fails(() => validUserId('userId', '\u3000'), 'userId');
    expect(validUserId('userId', ' a ')).toBe(' a ');
    expect(validUserId('userId', '😀')).toBe('😀');
    fails(() => validName('input.name', 'a\u0000b'), 'input.name');
    fails(() => validName('input.name', 'x\ud83d'), 'input.name');
    fails(() => validEmail('input.email', 'a\u0001@b'), 'input.email');
  });

  it('userId refuses Unicode format characters (Cf); names keep them', () => {
    for (const cf of ['\u200b', '\u202e', '\u200d', '\ufeff', '\u00ad', '\u2066', '\u{e0041}']) {
      fails(() => validUserId('userId', `admin${cf}`), 'userId');
      fails(() => validUserIds('userIds', ['ok', `a${cf}b`]), 'userIds');
      expect(validName('input.name', `Ann${cf}a`)).toBe(`Ann${cf}a`);
      expect(storedUserId('after', `admin${cf}`)).toBe(`admin${cf}`);
    }
    expect(() => validUserId('userId', 'a\u202eb')).toThrow(/U\+202E at index 1/);
    expect(validUserId('userId', 'ü-ñ-✓-😀-ع')).toBe('ü-ñ-✓-😀-ع');
  });

  it('email must be local@domain', () => {
    expect(validEmail('input.email', 'a@b')).toBe('a@b');
    for (const bad of ['', 'ab', '@b', 'a@', 'a b@c', 'a@b@c']) fails(() => validEmail('input.email', bad), 'input.email');
  });

  it('name: not empty, at most 255 characters', () => {
    expect(validName('input.name', "Robert'); DROP TABLE users;--")).toContain('DROP');
    fails(() => validName('input.name', ''), 'input.name');
    fails(() => validName('input.name', 'n'.repeat(256)), 'input.name');
  });

  it('at most 500 ids, each a valid userId', () => {
    expect(
      validUserIds(
        'userIds',
        Array.from({ length: 500 }, (_, i) => `u${i}`),
      ),
    ).toHaveLength(500);
    fails(
      () =>
        validUserIds(
          'userIds',
          Array.from({ length: 501 }, (_, i) => `u${i}`),
        ),
      'userIds',
    );
    fails(() => validUserIds('userIds', ['ok', '']), 'userIds');
  });

  it('first within 0..100', () => {
    expect(validPageSize('first', 0)).toBe(0);
    expect(validPageSize('first', 100)).toBe(100);
    fails(() => validPageSize('first', -1), 'first');
    fails(() => validPageSize('first', 101), 'first');
  });
});
