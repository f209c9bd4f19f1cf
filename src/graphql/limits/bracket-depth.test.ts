import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { bracketDepth } from './bracket-depth.js';

describe('bracketDepth', () => {
  it('counts the deepest nesting of { [ (', () => {
    expect(bracketDepth('{ __typename }', 100)).toBe(1);
    expect(bracketDepth('{ user(userId: "a") { userId } }', 100)).toBe(2);
    expect(bracketDepth('query($r: [_Any!]!) { _entities(representations: [{a: [1]}]) { __typename } }', 100)).toBe(5);
    expect(bracketDepth('', 100)).toBe(0);
    expect(bracketDepth('}}}] { }', 100)).toBe(1);
  });

  it('skips strings, block strings and comments', () => {
    expect(bracketDepth('{ a(s: "[[[{{{\\"[[") }', 100)).toBe(2);
    expect(bracketDepth('{ a(s: """ [[[ \\""" {{{ """) }', 100)).toBe(2);
    expect(bracketDepth('# [[[[[[\n{ a }', 100)).toBe(1);
    expect(bracketDepth('{ a(s: "unterminated [[[\n[[[ ] ] ]) }', 100)).toBe(5);
  });

  it('stops as soon as the depth passes the limit, whatever the length', () => {
    const deep = `{ a(v: ${'['.repeat(1_000_000)}"a"${']'.repeat(1_000_000)}) }`;
    expect(bracketDepth(deep, 64)).toBe(65);
    expect(() => parse(`{ a(v: ${'['.repeat(5000)}"a"${']'.repeat(5000)}) }`)).toThrow(/call stack/);
  });
});
