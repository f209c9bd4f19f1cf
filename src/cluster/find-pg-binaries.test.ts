import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { findPgBinaries, parsePgVersion } from './find-pg-binaries.js';

it('reads the major version', () => {
  expect(parsePgVersion('postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n')).toBe(15);
  expect(parsePgVersion('postgres (PostgreSQL) 17beta1')).toBe(17);
  expect(parsePgVersion('nonsense')).toBeNull();
});

it('says what to install when the programs are missing', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'shardgate-nopg-'));
  try {
    await expect(findPgBinaries({ path: empty, versionedRoots: [empty] })).rejects.toMatchObject({
      name: 'ClusterError',
      code: 'MISSING_BINARIES',
      message: expect.stringMatching(/initdb, pg_ctl, pg_basebackup, postgres, pg_rewind, pg_controldata.*apt-get install -y postgresql/),
    });
  } finally {
    await rm(empty, { recursive: true });
  }
});
