import { describe, expect, it } from 'vitest';
import { eitherSignal } from './either-signal.js';

describe('eitherSignal', () => {
  it('aborts with the reason of the first source to abort, once', () => {
    const a = new AbortController();
    const b = new AbortController();
    const either = eitherSignal(a.signal, b.signal);
    const reasons: unknown[] = [];
    either.signal.addEventListener('abort', () => reasons.push(either.signal.reason));
    expect(either.signal.aborted).toBe(false);
    b.abort('b first');
    a.abort('a later');
    expect(either.signal.aborted).toBe(true);
    expect(reasons).toEqual(['b first']);
  });

  it('is aborted at once when a source already was', () => {
    const a = new AbortController();
    a.abort('before');
    const either = eitherSignal(a.signal, new AbortController().signal);
    expect(either.signal.aborted).toBe(true);
    expect(either.signal.reason).toBe('before');
  });

  it('after dispose, a source aborting leaves it alone', () => {
    const a = new AbortController();
    const b = new AbortController();
    const either = eitherSignal(a.signal, b.signal);
    either.dispose();
    a.abort('late');
    b.abort('late');
    expect(either.signal.aborted).toBe(false);
  });
});
