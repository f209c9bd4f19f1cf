import { describe, expect, it } from 'vitest';
import { pickNewerLayout } from './pick-newer-layout.js';

describe('pickNewerLayout', () => {
  it('adopts the highest epoch above the current one, from any primary', () => {
    expect(pickNewerLayout(0, [null, null])).toBeNull();
    expect(pickNewerLayout(0, [null, { epoch: 1, t: 'a' }, null])).toEqual({ epoch: 1, t: 'a' });
    expect(
      pickNewerLayout(1, [
        { epoch: 1, t: 'a' },
        { epoch: 2, t: 'b' },
      ]),
    ).toEqual({ epoch: 2, t: 'b' });
    expect(
      pickNewerLayout(2, [
        { epoch: 1, t: 'a' },
        { epoch: 2, t: 'b' },
      ]),
    ).toBeNull();
    expect(pickNewerLayout(0, [])).toBeNull();
  });
});
