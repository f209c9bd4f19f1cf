import { describe, expect, it } from 'vitest';
import { allCpus, planPinning } from './cpu-pinning.js';

describe('planPinning', () => {
  it('on 2 cores keeps the servers alone on CPU 1, with the databases and the load generator on CPU 0', () => {
    expect(planPinning(2, true)).toEqual({ plan: { databases: '0', servers: '1', load: '0' } });
  });

  it('gives the load generator the remaining cores when there are more', () => {
    expect(planPinning(3, true).plan).toEqual({ databases: '0', servers: '1', load: '2' });
    expect(planPinning(8, true).plan).toEqual({ databases: '0', servers: '1', load: '2-7' });
  });

  it('says why it cannot pin', () => {
    expect(planPinning(1, true)).toEqual({ plan: null, reason: '1 core: nothing to keep apart' });
    expect(planPinning(4, false)).toEqual({ plan: null, reason: 'taskset (util-linux) is not installed' });
  });
});

describe('allCpus', () => {
  it('lists every CPU, to undo a pinning', () => {
    expect(allCpus(1)).toBe('0');
    expect(allCpus(2)).toBe('0-1');
  });
});
