import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCpuCgroups } from './cpu-cgroups.js';

const opened = openCpuCgroups({ quotaUs: 1_000, periodUs: 10_000 }, `shardgate-bench-test-${process.pid}`);

describe('openCpuCgroups', () => {
  it.skipIf(opened.groups === null)(
    `puts a process in a capped group and takes it out again${opened.groups ? '' : ` (skipped: ${opened.reason})`}`,
    async () => {
      const groups = opened.groups!;
      const child = spawn('sleep', ['30'], { stdio: 'ignore' });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      try {
        groups.place('node-a', [child.pid!, 999_999_999]); // a pid that does not exist is skipped
        const dir = join(groups.root, 'node-a');
        expect(readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')).toContain(String(child.pid));
        if (groups.kind === 'v1') {
          expect(readFileSync(join(dir, 'cpu.cfs_quota_us'), 'utf8').trim()).toBe('1000');
          expect(readFileSync(join(dir, 'cpu.cfs_period_us'), 'utf8').trim()).toBe('10000');
        } else {
          expect(readFileSync(join(dir, 'cpu.max'), 'utf8').trim()).toBe('1000 10000');
        }
        groups.remove();
        expect(existsSync(groups.root)).toBe(false);
        expect(readFileSync(`/proc/${child.pid}/cgroup`, 'utf8')).not.toContain('shardgate-bench-test');
      } finally {
        groups.remove();
        child.kill('SIGKILL');
        await exited;
      }
    },
  );

  it('says why when no group can be made', () => {
    if (opened.groups === null) expect(opened.reason).toMatch(/cgroup/);
    else expect(opened.groups.kind).toMatch(/^v[12]$/);
  });
});
