import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { operationOf, operationSpanName } from './operation-of.js';

describe('operationOf', () => {
  it('names the operation by type and name', () => {
    const op = operationOf(parse('query Overview { shards { id } }'), undefined);
    expect(op).toEqual({ type: 'query', name: 'Overview' });
    expect(operationSpanName(op)).toBe('query Overview');
  });

  it('is the bare type for an anonymous operation', () => {
    const op = operationOf(parse('mutation { deleteUser(userId: "x") }'), null);
    expect(op).toEqual({ type: 'mutation', name: null });
    expect(operationSpanName(op)).toBe('mutation');
  });

  it('picks the operation by name, and is unknown when the name matches none or is missing among several', () => {
    const doc = parse('query A { shards { id } } mutation B { deleteUser(userId: "x") }');
    expect(operationOf(doc, 'B')).toEqual({ type: 'mutation', name: 'B' });
    expect(operationOf(doc, 'C').type).toBe('unknown');
    expect(operationOf(doc, undefined).type).toBe('unknown');
    expect(operationSpanName(operationOf(doc, undefined))).toBe('graphql');
  });
});
