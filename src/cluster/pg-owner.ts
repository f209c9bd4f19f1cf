import { execFileSync } from 'node:child_process';
import { chown, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ClusterError } from './cluster-error.js';

/**
 * Who runs the PostgreSQL programs. initdb and postgres refuse to run as
 * root, so as root they run as the `postgres` system user (and the files
 * they need are handed to it); as anyone else they run as that user.
 */
export interface PgOwner {
  /** null: the current user; the programs are run directly. */
  readonly uid: number | null;
  readonly gid: number | null;
  readonly name: string;
}

let cached: PgOwner | undefined;

export function pgOwner(): PgOwner {
  if (cached !== undefined) return cached;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    cached = { uid: null, gid: null, name: 'current user' };
    return cached;
  }
  try {
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    cached = { uid: id('-u'), gid: id('-g'), name: 'postgres' };
    return cached;
  } catch {
    throw new ClusterError(
      'PERMISSION',
      'running as root, but PostgreSQL refuses to run as root and there is no "postgres" user to run it as: ' +
        'create one (installing the `postgresql` package does) or run as an ordinary user',
    );
  }
}

/** Hand a directory or file the cluster created to the user that runs PostgreSQL (no-op unless root). */
export async function giveToPg(path: string, owner: PgOwner = pgOwner()): Promise<void> {
  if (owner.uid !== null && owner.gid !== null) await chown(path, owner.uid, owner.gid);
}

/**
 * As root, PostgreSQL runs as `postgres`, which must be able to walk down to
 * the cluster directory: a parent such as /root (mode 0700) would make every
 * start fail with an obscure "permission denied". Say so up front instead.
 * The check uses the owner and primary group only, as the spawned programs
 * keep no supplementary groups.
 */
export async function assertReachableByPg(dir: string, owner: PgOwner = pgOwner()): Promise<void> {
  if (owner.uid === null) return;
  let current = dirname(resolve(dir));
  for (;;) {
    const st = await stat(current).catch((err: NodeJS.ErrnoException) => {
      // Not created yet: `cluster up` creates it, searchable (mode 0755 under the usual umask).
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    const parent = dirname(current);
    if (st === null) {
      if (parent === current) return;
      current = parent;
      continue;
    }
    const bit = st.uid === owner.uid ? 0o100 : st.gid === owner.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) {
      throw new ClusterError(
        'PERMISSION',
        `the postgres user cannot reach ${resolve(dir)}: ${current} is not searchable by it (mode ${(st.mode & 0o777).toString(8)}); ` +
          `choose a directory elsewhere or allow it (chmod o+x ${current})`,
      );
    }
    if (parent === current) return;
    current = parent;
  }
}
