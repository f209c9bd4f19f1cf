import { describe, expect, it } from 'vitest';
import type { ReshardStore, RunLock, RunLockHolder } from '../repository/reshard-store.js';
import { ReshardError } from './reshard-error.js';
import { describeHolder, holderName, parseHolderName, takeRunLocks } from './run-lock.js';

/** A store whose lock is free or held by `holder`; `freeAfter` tries later it frees up (a dying holder's session ending). */
function fakeStore(state: { holder: RunLockHolder | null; freeAfter?: number; released?: number }): ReshardStore {
  let tries = 0;
  return {
    async tryRunLock(): Promise<RunLock | null> {
      tries++;
      if (state.holder && (state.freeAfter === undefined || tries <= state.freeAfter)) return null;
      return {
        lost: new Promise(() => {}),
        release: async () => {
          state.released = (state.released ?? 0) + 1;
        },
      };
    },
    async runLockHolder() {
      return state.holder;
    },
  } as unknown as ReshardStore;
}

const me = { host: 'here', pid: 100 };
const since = '2026-12-07T15:00:00Z';

describe('run lock', () => {
  it('names a holder by host and pid, and reads the name back', () => {
    expect(parseHolderName(holderName({ host: 'build-7.example', pid: 4123 }))).toEqual({ host: 'build-7.example', pid: 4123 });
    expect(parseHolderName('psql')).toBeNull();
    expect(describeHolder({ name: holderName({ host: 'h', pid: 9 }), since })).toBe(`host h, pid 9, since ${since}`);
    expect(describeHolder({ name: 'psql', since })).toBe(`session "psql", since ${since}`);
  });

  it('takes every free lock', async () => {
    const locks = await takeRunLocks([fakeStore({ holder: null }), fakeStore({ holder: null })], {
      holder: me,
      isAlive: () => true,
      clock: Date.now,
    });
    expect(locks).toHaveLength(2);
  });

  it('refuses at once when a live run holds one, naming it, and releases what it took', async () => {
    const first = { holder: null, released: 0 };
    const busy = { holder: { name: holderName({ host: 'there', pid: 7 }), since } };
    const isAlive = () => {
      throw new Error('a holder on another host is not looked up here');
    };
    await expect(takeRunLocks([fakeStore(first), fakeStore(busy)], { holder: me, isAlive, clock: Date.now })).rejects.toThrow(
      new ReshardError(
        `another shardgate reshard is running on these shards (host there, pid 7, since ${since}); ` +
          'wait for it to finish, or stop it and run this command again to resume',
      ),
    );
    expect(first.released).toBe(1);
  });

  it('refuses when a live process of this host holds it', async () => {
    const busy = { holder: { name: holderName({ host: 'here', pid: 7 }), since } };
    await expect(takeRunLocks([fakeStore(busy)], { holder: me, isAlive: () => true, clock: Date.now })).rejects.toThrow(/pid 7/);
  });

  it('waits for a dead holder of this host whose session is ending', async () => {
    const dying = { holder: { name: holderName({ host: 'here', pid: 7 }), since }, freeAfter: 2 };
    const locks = await takeRunLocks([fakeStore(dying)], { holder: me, isAlive: (pid) => pid !== 7, clock: Date.now });
    expect(locks).toHaveLength(1);
  });

  it('gives up on a dead holder whose lock never frees', async () => {
    let now = 0;
    const stuck = { holder: { name: holderName({ host: 'here', pid: 7 }), since } };
    const clock = () => (now += 5_000);
    await expect(takeRunLocks([fakeStore(stuck)], { holder: me, isAlive: () => false, clock })).rejects.toThrow(/pid 7/);
  });
});
