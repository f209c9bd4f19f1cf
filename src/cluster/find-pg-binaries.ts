import { execFile } from 'node:child_process';
import { access, constants, readdir, realpath } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ClusterError } from './cluster-error.js';

const execFileAsync = promisify(execFile);

/** Absolute paths of the PostgreSQL server programs the cluster needs. */
export interface PgBinaries {
  readonly initdb: string;
  readonly pgCtl: string;
  readonly pgBasebackup: string;
  readonly postgres: string;
  /** Turns an old primary into a replica of the new one after a switchover. */
  readonly pgRewind: string;
  readonly pgControldata: string;
  /** Major version, e.g. 15. */
  readonly version: number;
}

export interface FindPgBinariesOptions {
  /** @default process.env.PATH */
  readonly path?: string;
  /** Where distro packages put versioned binaries. @default ['/usr/lib/postgresql'] */
  readonly versionedRoots?: readonly string[];
}

export const MIN_PG_VERSION = 15;
const PROGRAMS = ['initdb', 'pg_ctl', 'pg_basebackup', 'postgres', 'pg_rewind', 'pg_controldata'] as const;

/**
 * Find initdb, pg_ctl, pg_basebackup, postgres, pg_rewind and pg_controldata: first on PATH, then under
 * `/usr/lib/postgresql/<version>/bin` (highest version first).
 *
 * All are taken from one directory, so that a pg_basebackup of one
 * version never clones a server of another. A PATH entry that is a symlink
 * (e.g. /usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb) counts
 * by its target directory; Debian's /usr/bin/pg_basebackup wrapper script
 * is therefore skipped in favour of the real binaries.
 */
export function findPgBinaries(options?: FindPgBinariesOptions): Promise<PgBinaries> {
  if (options !== undefined) return search(options);
  // Every cluster operation needs them; look once per process (a failed look is retried).
  cached ??= search({}).catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

let cached: Promise<PgBinaries> | undefined;

async function search(options: FindPgBinariesOptions): Promise<PgBinaries> {
  const pathDirs = (options.path ?? process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '');
  const candidates: string[] = [];
  for (const dir of pathDirs) {
    candidates.push(dir);
    const initdb = join(dir, 'initdb');
    if (await isExecutable(initdb)) candidates.push(dirname(await realpath(initdb)));
  }
  for (const root of options.versionedRoots ?? ['/usr/lib/postgresql']) {
    candidates.push(...(await versionedBinDirs(root)));
  }
  const tooOld: string[] = [];
  for (const dir of new Set(candidates)) {
    const found = await completeSetIn(dir);
    if (found === null) continue;
    if (found.version >= MIN_PG_VERSION) return found;
    tooOld.push(`${dir} (PostgreSQL ${found.version})`);
  }
  const old = tooOld.length > 0 ? ` Found only older versions: ${tooOld.join(', ')}.` : '';
  throw new ClusterError(
    'MISSING_BINARIES',
    `PostgreSQL ${MIN_PG_VERSION}+ server programs (${PROGRAMS.join(', ')}) were not found on PATH or under ` +
      `/usr/lib/postgresql/*/bin.${old} Install them: on Debian/Ubuntu \`apt-get install -y postgresql\`, ` +
      `or your distribution's PostgreSQL server package.`,
  );
}

/** `<root>/<major>/bin`, highest major first. */
async function versionedBinDirs(root: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch {
    return [];
  }
  return entries
    .filter((e) => /^\d+$/.test(e))
    .sort((a, b) => Number(b) - Number(a))
    .map((e) => join(root, e, 'bin'));
}

async function completeSetIn(dir: string): Promise<PgBinaries | null> {
  const files = PROGRAMS.map((p) => join(dir, p));
  for (const file of files) {
    if (!(await isExecutable(file))) return null;
  }
  const [initdb, pgCtl, pgBasebackup, postgres, pgRewind, pgControldata] = files as [string, string, string, string, string, string];
  const version = await majorVersion(postgres);
  if (version === null) return null;
  return { initdb, pgCtl, pgBasebackup, postgres, pgRewind, pgControldata, version };
}

/** `postgres (PostgreSQL) 15.13 (Debian 15.13-0+deb12u1)` -> 15. */
export function parsePgVersion(output: string): number | null {
  const match = /\(PostgreSQL\)\s+(\d+)/.exec(output);
  return match?.[1] === undefined ? null : Number(match[1]);
}

async function majorVersion(postgres: string): Promise<number | null> {
  try {
    const { stdout } = await execFileAsync(postgres, ['--version'], { timeout: 10_000 });
    return parsePgVersion(stdout);
  } catch {
    return null;
  }
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
