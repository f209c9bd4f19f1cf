import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { ClusterError } from './cluster-error.js';

/** The programs an `--ha patroni` cluster runs. */
export interface HaPrograms {
  readonly patroni: string;
  readonly patronictl: string;
  readonly etcd: string;
}

/** Find patroni, patronictl and etcd on PATH (or /usr/bin), or say which Debian packages provide them. */
export async function findHaPrograms(path = process.env['PATH'] ?? ''): Promise<HaPrograms> {
  const dirs = [...path.split(delimiter).filter((d) => d !== ''), '/usr/bin', '/usr/local/bin'];
  const find = async (name: string) => {
    for (const dir of dirs) {
      try {
        await access(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {
        // keep looking
      }
    }
    return null;
  };
  const [patroni, patronictl, etcd] = await Promise.all([find('patroni'), find('patronictl'), find('etcd')]);
  if (patroni === null || patronictl === null || etcd === null) {
    const missing = [patroni === null && 'patroni', patronictl === null && 'patronictl', etcd === null && 'etcd'].filter(Boolean);
    throw new ClusterError(
      'MISSING_BINARIES',
      `--ha patroni needs ${missing.join(', ')}, not found on PATH. Install them: on Debian/Ubuntu ` +
        '`apt-get install -y --no-install-recommends patroni etcd-server python3-etcd`',
    );
  }
  return { patroni, patronictl, etcd };
}
