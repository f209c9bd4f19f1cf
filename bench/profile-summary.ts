/*
 * Reads a V8 .cpuprofile (what `node --cpu-prof` writes) into a few lines a
 * person can act on: self time by package or source directory, then the
 * hottest functions, as shares of the busy (non-idle) samples. Pure: the parsed JSON in, text lines out.
 */

export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly hitCount?: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  }[];
}

export function summarizeProfile(profile: CpuProfile, top = 25): string[] {
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    // Waiting for I/O is not cost: percentages are of the busy samples.
    if (node.callFrame.functionName === '(idle)') {
      idle += hits;
      continue;
    }
    total += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
    const area = areaOf(functionName, url);
    byArea.set(area, (byArea.get(area) ?? 0) + hits);
  }
  if (total === 0) return ['(empty profile)'];
  const rows = (map: Map<string, number>, n: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, hits]) => `${((hits / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
  return [
    `busy ${((total / (total + idle)) * 100).toFixed(0)}% of the samples; shares below are of the busy time`,
    '',
    'by area:',
    ...rows(byArea, 15),
    '',
    'by function:',
    ...rows(byFunction, top),
  ];
}

/** `node_modules/<package>`, `dist/<layer>`, `node:<module>`, or V8's own buckets ((garbage collector), (program), (idle)). */
export function areaOf(functionName: string, url: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  // The innermost node_modules: nested installs name the package that runs.
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)(?!.*node_modules\/)/.exec(url);
  if (nm) return nm[1]!;
  const dist = /\/dist\/([^/]+)\//.exec(url);
  if (dist) return `shardgate ${dist[1]}`;
  if (url.startsWith('node:')) return url.split('/')[0]!;
  return shortUrl(url);
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const dist = url.lastIndexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}
