import { describe, expect, it } from 'vitest';
import { databaseCpuMicrosBetween, snapshotDatabaseCpu } from './database-cpu.js';

describe('databaseCpuMicrosBetween', () => {
  it('sums what each process present at the end spent since the start; a new process counts whole', () => {
    const before = new Map([
      [10, 1_000_000],
      [11, 5_000_000],
      [12, 9_000_000],
    ]);
    const after = new Map([
      [10, 3_000_000],
      [11, 5_000_000],
      [13, 500_000],
    ]);
    // 10: +2 ms; 11: 0; 12 exited (lost); 13 new: 0.5 ms.
    expect(databaseCpuMicrosBetween(before, after)).toBe(2_500);
  });

  it('is zero for two snapshots of nothing', () => {
    expect(databaseCpuMicrosBetween(new Map(), new Map())).toBe(0);
  });

  it('a snapshot of no readable PostgreSQL process is null (not measured), not zero', () => {
    expect(snapshotDatabaseCpu([])).toBeNull();
  });
});
