import { describe, expect, it } from 'vitest';
import { formatScaleReport, scaleChartSvg, type ScaleCurve, type ScaleResult } from './scale.js';

const point = (n: number, rps: number) => ({ label: `${n}`, n, rps, p99Ms: 10, dbCpuUsPerReq: 100 });
const curves: ScaleCurve[] = [
  {
    id: 'reads',
    title: 'point reads, 1 shard, by replicas',
    target: (n) => 0.85 * n,
    ideal: (n) => n,
    points: [point(1, 1000), point(2, 1900), point(3, 2000)],
  },
  {
    id: 'pages',
    title: 'first page (20), by shards',
    target: () => 0.85,
    ideal: () => 1,
    points: [point(1, 500), point(2, 480), point(4, 300)],
  },
];

describe('scale report', () => {
  it('marks each point against its target, relative to the first', () => {
    const result: ScaleResult = { cgroups: 'cgroup v1', curves, oneNode: [], workers: { one: point(1, 1000), two: point(2, 1700) } };
    const text = formatScaleReport(result);
    expect(text).toContain('| 2 | 1900 | 1.90 | ≥ 1.70 ✓ |');
    expect(text).toContain('| 3 | 2000 | 2.00 | ≥ 2.55 ✗ |');
    expect(text).toContain('| 4 | 300 | 0.60 | ≥ 0.85 ✗ |');
    expect(text).toContain('2 workers 1700 req/s: 1.70×');
  });

  it('draws one panel per curve with its measured and ideal lines', () => {
    const svg = scaleChartSvg(curves);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(2);
    expect(svg).toContain('point reads, 1 shard, by replicas');
    expect(svg).toContain('>1900<');
  });
});
