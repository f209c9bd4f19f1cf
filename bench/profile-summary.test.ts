import { describe, expect, it } from 'vitest';
import { areaOf, summarizeProfile, type CpuProfile } from './profile-summary.js';

const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });

describe('summarizeProfile', () => {
  it('leaves idle out and ranks areas and functions by self time', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, hitCount: 50, callFrame: frame('(idle)', '') },
        {
          id: 2,
          hitCount: 30,
          callFrame: frame('executeField', 'file:///app/node_modules/@graphql-tools/executor/esm/execution/execute.js', 332),
        },
        { id: 3, hitCount: 15, callFrame: frame('runOn', 'file:///app/dist/repository/database.js', 133) },
        { id: 4, hitCount: 5, callFrame: frame('(garbage collector)', '') },
        { id: 5, callFrame: frame('(root)', '') },
      ],
    };
    const lines = summarizeProfile(profile);
    expect(lines[0]).toBe('busy 50% of the samples; shares below are of the busy time');
    expect(lines).toContain(' 60.0%  @graphql-tools/executor');
    expect(lines).toContain(' 30.0%  shardgate repository');
    expect(lines).toContain(' 60.0%  executeField @graphql-tools/executor/esm/execution/execute.js:333');
    expect(lines).toContain(' 10.0%  (garbage collector)');
  });

  it('says so when there is nothing but idle', () => {
    expect(summarizeProfile({ nodes: [{ id: 1, hitCount: 3, callFrame: frame('(idle)', '') }] })).toEqual(['(empty profile)']);
  });
});

describe('areaOf', () => {
  it('names packages, shardgate layers and node internals', () => {
    expect(areaOf('f', 'file:///x/node_modules/pg-protocol/dist/parser.js')).toBe('pg-protocol');
    expect(areaOf('f', 'file:///x/node_modules/.pnpm/x/node_modules/@whatwg-node/server/cjs/a.js')).toBe('@whatwg-node/server');
    expect(areaOf('f', 'file:///x/dist/graphql/schema/user.js')).toBe('shardgate graphql');
    expect(areaOf('emit', 'node:events')).toBe('node:events');
    expect(areaOf('writev', '')).toBe('(native)');
    expect(areaOf('(program)', '')).toBe('(program)');
  });
});
