import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { OperationRecords } from './operation-records.js';

describe('OperationRecords', () => {
  it('reads an operation once per context, by the requested operation name', () => {
    const records = new OperationRecords();
    const context = { params: { operationName: 'Add' } };
    const doc = parse('query Get { a } mutation Add { b }');
    expect(records.fromParse(context, doc)).toEqual({ type: 'mutation', name: 'Add' });
    // A second reader (spans after metrics, or the other way round) gets the same record.
    expect(records.fromParse(context, parse('query Other { c }'))).toEqual({ type: 'mutation', name: 'Add' });
    expect(records.get(context)).toEqual({ type: 'mutation', name: 'Add' });
    expect(records.get({})).toBeUndefined();
  });

  it('records nothing for a parse error', () => {
    const records = new OperationRecords();
    const context = {};
    expect(records.fromParse(context, new Error('Syntax Error'))).toBeUndefined();
    expect(records.get(context)).toBeUndefined();
  });
});
